from groupchat.core.errors import register_error_codes

register_error_codes(
    {
        "username_taken": (409, "This username is already taken.", "该用户名已被占用。"),
        "phone_taken": (409, "This phone number is already registered.", "该手机号已注册。"),
        "invalid_phone": (400, "Enter a mainland mobile number of 11 digits.", "请输入11位中国大陆手机号。"),
        "weak_password": (400, "The password is too weak: {reason}", "密码强度不足：{reason}"),
        "invalid_credentials": (401, "Wrong username/phone or password.", "用户名/手机号或密码错误。"),
        "locked_out": (403, "Too many failed logins. Try again in 15 minutes.", "登录失败次数过多，请15分钟后再试。"),
        "invalid_nickname": (400, "A nickname has 1 to 40 characters.", "昵称长度为1至40个字符。"),
    }
)
