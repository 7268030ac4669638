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
        "signup_agreements_required": (400, "To sign up, read the agreements and tick the box to accept them.",
                                       "注册前请阅读协议并勾选同意。"),
    }
)

# Identity vault, agreements and credit (issue 4). One code per failure so clients can tell users what to fix.
register_error_codes(
    {
        "id_number_legacy": (400, "15-digit first-generation ID numbers are no longer accepted; enter the 18-character number.",
                             "不再接受15位第一代身份证号码，请输入18位号码。"),
        "id_number_format": (400, "An ID number has 17 digits followed by a digit or X.",
                             "身份证号码应为17位数字加1位数字或X。"),
        "id_number_province": (400, "The first two digits of the ID number are not a valid province code.",
                               "身份证号码前两位不是有效的省级行政区代码。"),
        "id_number_date": (400, "The birth date in the ID number is not a real date.", "身份证号码中的出生日期无效。"),
        "id_number_too_old": (400, "The birth date in the ID number is before 1900; please check the number.",
                              "身份证号码中的出生日期早于1900年，请核对号码。"),
        "id_number_future": (400, "The birth date in the ID number is in the future.", "身份证号码中的出生日期晚于今天。"),
        "id_number_checksum": (400, "The check character of the ID number is wrong; please check the number.",
                               "身份证号码校验位错误，请核对号码。"),
        "uscc_format": (400, "A unified social credit code has 18 characters (digits and capital letters, no I, O, S, V, Z).",
                        "统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z）。"),
        "uscc_checksum": (400, "The check character of the unified social credit code is wrong.",
                          "统一社会信用代码校验位错误。"),
        "legal_name_invalid": (400, "Enter your legal name as on your ID card (2 to 40 characters).",
                               "请输入与身份证一致的姓名（2至40个字符）。"),
        "org_name_invalid": (400, "Enter the organisation's registered name (2 to 100 characters).",
                             "请输入机构的登记名称（2至100个字符）。"),
        "realname_required": (403, "Verify your identity first: you may read, but posting, creating and joining groups need a verified account.",
                              "请先完成实名认证：未认证用户只能浏览，不能发言、建群或申请入群。"),
        "verification_level_required": (403, "This needs verification level L{level} or higher.",
                                        "此操作需要L{level}级或更高的实名认证。"),
        "agreement_required": (403, "Please read and accept the updated user agreements before continuing.",
                               "用户协议已更新，请阅读并同意后继续。"),
        "agreement_not_found": (404, "No such agreement version.", "没有该版本的协议。"),
        "credit_insufficient": (403, "Your credit grade does not allow this; see My credit.",
                                "你的信用等级不足，无法执行此操作，详见“我的信用”。"),
        "consent_required": (400, "Separate consent to processing your ID number is required before you submit it.",
                             "提交身份证号码前，须单独同意对其进行处理。"),
        "phone_code_invalid": (400, "The verification code is wrong or has expired.", "验证码错误或已过期。"),
        "phone_code_throttled": (429, "A code was sent recently; wait a minute before asking again.",
                                 "验证码发送过于频繁，请一分钟后再试。"),
        "identity_taken": (409, "This identity is already used by the maximum number of accounts.",
                           "该身份已绑定的账号数量已达上限。"),
        "identity_pending": (409, "A verification of this kind is already waiting for review.",
                             "已有同类认证正在审核中。"),
        "submission_not_pending": (409, "This submission has already been decided.", "该认证申请已处理。"),
        "reject_reason_required": (400, "Give the reason for the rejection; the user sees it.",
                                   "请填写驳回原因（用户可见）。"),
        "reveal_reason_required": (400, "Type the reason for viewing the full data (at least 5 characters); it is recorded.",
                                   "查看完整信息须填写理由（至少5个字符），该操作将被记录。"),
        "network_id_invalid": (400, "The national network ID credential could not be verified.",
                               "国家网络身份认证凭证核验未通过。"),
        "invalid_credit_source": (400, "Unknown credit event source.", "未知的信用事件来源。"),
        "guardian_consent_required": (409, "The applicant is under 14: record the guardian's consent before approving "
                                      "L2 verification.",
                                      "申请人未满14周岁：须先登记监护人同意，才能通过二级实名认证。"),
        "guardian_consent_invalid": (400, "Give the guardian's name (2 to 40 characters), the relationship (parent or "
                                     "other legal guardian) and how the consent was obtained.",
                                     "请填写监护人姓名（2至40个字符）、与申请人的关系（父母或其他法定监护人）以及同意的取得方式。"),
        "grade_table_invalid": (400, "Grade {grade} may not allow more than grade {better} ({field}): what a grade "
                                "allows only shrinks towards grade D.",
                                "信用等级{grade}的权限不能高于等级{better}（{field}）：等级越低，权限只能越少。"),
        "grade_table_rate_invalid": (400, "\"{value}\" is not a message rate; write it like \"20/10second\".",
                                     "“{value}”不是有效的发言频率，请按“20/10second”的格式填写。"),
        "grade_table_tier_invalid": (400, "\"{value}\" is not a tier a grade may own up to (or breaks the order of "
                                     "grades); use a tier slug such as small, medium, large, or leave it empty.",
                                     "“{value}”不是可拥有的群规模等级（或违反了信用等级的先后顺序）；请填写 small、"
                                     "medium、large 等，或留空。"),
    }
)

# The send gates and deactivation (G6a, G11)
register_error_codes(
    {
        "account_inactive": (403, "This account has been deactivated.", "该账号已被停用。"),
    }
)
