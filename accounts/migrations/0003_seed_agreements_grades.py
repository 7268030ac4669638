"""Initial agreement versions (G5b) and the grade permissions table (G7b, REGULATION §5.3)."""

from django.db import migrations
from django.utils import timezone

SERVICE_ZH = """groupchat 用户服务协议（2026版）

一、协议的订立
1. 本协议是你与 groupchat 运营者之间关于使用群组信息服务的协议。你注册、登录或使用本服务，即表示你已阅读并同意本协议。
2. 运营者依据《网络安全法》《个人信息保护法》《互联网群组信息服务管理规定》等法律法规提供服务。

二、实名认证
1. 依照"后台实名、前台自愿"原则，你须完成真实身份信息认证后方可发布信息、创建群组或申请入群；昵称可自行设定。
2. 你提交的身份信息仅用于身份核验、履行法定义务与账号安全，加密存储，界面上仅显示脱敏信息。

三、用户义务
1. 你应遵守法律法规、社会公德和《平台公约》《群组管理规则》，不得制作、复制、发布、传播法律法规禁止的信息。
2. 群主、管理员应履行群组管理责任，"谁建群谁负责、谁管理谁负责"。

四、信用管理
平台实行用户信用等级管理，依据信用等级提供相应服务；违法违规行为将降低信用分，并可能被采取警示、限制功能、暂停发言、关闭群组、列入黑名单等措施。

五、个人信息保护
我们按照《个人信息保护法》处理你的个人信息，你可以查阅、更正、删除你的信息；法定保存期限内的信息将仅限于存储和必要的安全措施。

六、投诉与申诉
你可通过每条消息、每个用户和群组页面上的举报入口投诉，也可对处理结果提出申诉。

七、协议变更
协议发生重大变更时，我们将公布新版本，你须重新同意后方可继续发言。"""

SERVICE_EN = """groupchat Terms of Service (2026 edition)

1. Agreement
1.1 These terms are an agreement between you and the operator of groupchat about the group information service. By registering, logging in or using the service you confirm that you have read and accept them.
1.2 The service is provided under the Cybersecurity Law, the Personal Information Protection Law and the Provisions on the Administration of Internet Group Information Services.

2. Real-name verification
2.1 Following the rule "real name in the back end, free names in the front end", you must verify your real identity before you post, create a group or ask to join one; your nickname is your own choice.
2.2 Identity data you submit is used only to verify you, to meet legal duties and to keep your account safe. It is stored encrypted and screens show it masked.

3. Your obligations
3.1 Obey the law, public morals, the Platform Convention and the Group Management Rules; do not produce, copy, publish or spread information the law prohibits.
3.2 Group owners and admins are responsible for the groups they create and manage.

4. Credit
The platform keeps a credit grade for each user and provides services according to it. Violations lower your credit and may lead to warnings, restricted functions, posting suspensions, group closure or blacklisting.

5. Personal information
We process your personal information under the Personal Information Protection Law. You may access, correct and delete it; data under a legal retention period is restricted to storage and necessary security measures.

6. Reports and appeals
Every message, user and group page has a report entry; you may appeal any decision about you.

7. Changes
When these terms change materially we publish a new version, and you must accept it before posting again."""

CONVENTION_ZH = """groupchat 平台公约（2026版）

1. 遵守宪法和法律法规，维护国家安全和社会公共利益。
2. 不发布、不传播违法信息和不良信息，不造谣、不传谣。
3. 尊重他人，不侮辱、诽谤、骚扰他人，不实施网络暴力。
4. 保护个人隐私，不泄露他人个人信息。
5. 不从事诈骗、赌博、色情等违法活动，不发布垃圾广告。
6. 关爱未成年人，不诱导未成年人从事不安全行为。
7. 尊重知识产权，不侵犯他人合法权益。
8. 发现违法和不良信息，积极通过举报入口向平台反映。"""

CONVENTION_EN = """groupchat Platform Convention (2026 edition)

1. Abide by the Constitution, laws and regulations; safeguard national security and the public interest.
2. Do not publish or spread illegal or harmful information; do not start or pass on rumours.
3. Respect others: no insults, defamation, harassment or cyberbullying.
4. Protect privacy: do not disclose other people's personal information.
5. No fraud, gambling, pornography or other illegal activity; no spam advertising.
6. Care for minors; never lead them into unsafe behaviour.
7. Respect intellectual property and other people's lawful rights.
8. Report illegal or harmful information through the report entries."""

RULES_ZH = """groupchat 群组信息服务管理规则（2026版）

第一条 依据《互联网群组信息服务管理规定》制定本规则。
第二条 平台对群组实行分级分类管理，依据群组性质类别、成员规模、活跃程度等确定管理级别。
第三条 用户须完成实名认证方可发言、建群和申请入群；建群和担任管理员须达到相应信用等级和认证级别。
第四条 每个用户可创建、加入的群组数量及群组成员人数设有上限，具体以平台公示为准。
第五条 群主、管理员应当履行群组管理责任，及时处置群内违法和不良信息，并向平台报告。
第六条 对违反法律法规和本规则的群组和用户，平台将视情节采取警示整改、暂停发言、限制功能、关闭群组、降低信用等级、列入黑名单等措施，保存有关记录并向主管部门报告。
第七条 平台依法保存网络日志不少于六个月，依法配合有关主管部门的监督检查。
第八条 用户可以通过举报入口投诉，对处理结果不服的可以申诉。"""

RULES_EN = """groupchat Group Management Rules (2026 edition)

Art 1 These rules implement the Provisions on the Administration of Internet Group Information Services.
Art 2 Groups are managed by tier, according to their category, size and activity.
Art 3 Users must verify their identity before posting, creating groups or asking to join; creating a group and serving as an admin require a sufficient credit grade and verification level.
Art 4 The number of groups a user may create and join, and the number of members in a group, are capped as published by the platform.
Art 5 Group owners and admins must manage their groups, deal promptly with illegal and harmful information in them and report it to the platform.
Art 6 Groups and users that break the law or these rules face, by severity, warnings and rectification, posting suspension, restricted functions, group closure, lower credit and blacklisting; records are kept and reported to the authorities.
Art 7 Network logs are kept for at least six months, and the platform cooperates with lawful supervision and inspection.
Art 8 Users may report through the report entries and appeal against decisions."""

DOCS = [
    ("service", "用户服务协议", "Terms of Service", SERVICE_ZH, SERVICE_EN),
    ("convention", "平台公约", "Platform Convention", CONVENTION_ZH, CONVENTION_EN),
    ("rules", "群组信息服务管理规则", "Group Management Rules", RULES_ZH, RULES_EN),
]

GRADES = {
    "A": (20, 5, 500, True, "large", "20/10second"),
    "B": (10, 3, 300, True, "medium", "20/10second"),
    "C": (3, 1, 100, False, "small", "10/10second"),
    "D": (0, 0, 50, False, "", "5/10second"),
}


def seed(apps, schema_editor):
    Agreement = apps.get_model("accounts", "Agreement")
    GradePermission = apps.get_model("accounts", "GradePermission")
    now = timezone.now()
    for kind, title_zh, title_en, body_zh, body_en in DOCS:
        Agreement.objects.get_or_create(kind=kind, version="2026.1", defaults=dict(
            title_zh=title_zh, title_en=title_en, body_zh=body_zh, body_en=body_en, material=True, published_at=now))
    for grade, (owned, per_day, joined, admin, tier, rate) in GRADES.items():
        GradePermission.objects.get_or_create(grade=grade, defaults=dict(
            groups_owned_max=owned, groups_created_per_day=per_day, groups_joined_max=joined, admin_eligible=admin,
            max_owned_tier=tier, message_rate=rate))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_identity_agreements_credit")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
