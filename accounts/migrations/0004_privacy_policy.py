"""The personal information protection policy (个人信息保护政策, PIPL Art 17; G6b), a fourth agreement kind accepted at
sign-up with the service agreement and the platform convention."""

from django.db import migrations, models
from django.utils import timezone

PRIVACY_ZH = """groupchat 个人信息保护政策（2026版）

本政策依据《个人信息保护法》第十七条告知你：我们是谁、收集哪些个人信息、为什么收集、保存多久、谁能看到，以及你如何行使权利。

一、个人信息处理者
groupchat 运营者。联系方式：平台内"举报与申诉"入口，或运营者公布的个人信息保护负责人邮箱。

二、我们收集的信息及目的
1. 账号信息：用户名、昵称、密码（仅保存不可逆的摘要）、手机号（可选）、界面语言。用于注册、登录和提供服务。
2. 身份信息：真实姓名、身份证件号码、认证方式和结果。依照《网络安全法》和《互联网群组信息服务管理规定》第六条"后台实名、前台自愿"的要求进行真实身份认证；加密存储，界面上只显示脱敏信息，不向其他用户展示。
3. 群组与消息：你创建或加入的群组、你的角色、你发送的消息及其时间。用于提供群聊服务和群组管理。
4. 网络日志：登录、注册、认证、建群、入群、发言、管理操作等记录，包括时间、IP 地址和端口、设备信息。依照《互联网群组信息服务管理规定》第十三条留存，用于安全保障和配合依法进行的监督检查。
5. 信用与处置记录：信用分变动及原因、对你采取的管理措施、你提交的举报和申诉。用于信用等级管理和投诉处理。

三、保存期限
1. 网络日志至少保存六个月（184 天），到期后删除，依法被要求保全的除外。
2. 账号、身份、群组和消息信息在你的账号存续期间保存；注销账号后，除法律法规要求留存的以外予以删除或匿名化。
3. 法律法规规定更长保存期限的，从其规定；保存期间仅限于存储和必要的安全保护措施。

四、谁能看到你的信息
1. 群成员能看到你的昵称、群内角色和你在群内发送的消息；其他用户看不到你的真实姓名、证件号码和手机号。
2. 平台工作人员按职责分工查看：身份审核员看到脱敏的身份信息，查看完整信息须填写理由并被记录；合规专员查看日志与记录。每次查看身份明文都有记录。
3. 有关主管部门依法进行监督检查时，我们依法提供必要的信息。
4. 我们不出售你的个人信息，不向第三方非法提供。

五、你的权利
你可以查阅、复制、更正、删除你的个人信息，撤回同意，注销账号，并可就个人信息处理规则请求我们解释说明。

六、政策变更
本政策发生重大变更时，我们将公布新版本，你须重新同意后方可继续发言。"""

PRIVACY_EN = """groupchat Personal Information Protection Policy (2026 edition)

Under Article 17 of the Personal Information Protection Law this policy tells you who we are, what personal information we collect, why, how long we keep it, who sees it, and how you exercise your rights.

1. Who handles your information
The operator of groupchat. Contact: the "reports and appeals" entry on the platform, or the e-mail of the person responsible for personal information protection that the operator publishes.

2. What we collect and why
2.1 Account: username, nickname, password (only an irreversible hash), phone number (optional), interface language. To register you, log you in and provide the service.
2.2 Identity: legal name, ID document number, verification method and result. To verify your real identity as the Cybersecurity Law and Article 6 of the Provisions on Internet Group Information Services require ("real name in the back end, free names in the front end"). Stored encrypted; screens show it masked; never shown to other users.
2.3 Groups and messages: the groups you create or join, your role, the messages you send and when. To provide group chat and group management.
2.4 Network logs: records of logging in, registration, verification, creating and joining groups, posting and management actions, with time, IP address and port, and device. Kept under Article 13 of the Provisions for security and for lawful supervision and inspection.
2.5 Credit and measures: changes to your credit score and why, measures taken against you, reports and appeals you file. For credit grades and complaint handling.

3. How long we keep it
3.1 Network logs: at least six months (184 days), then deleted unless a lawful hold requires keeping them.
3.2 Account, identity, group and message data: while your account exists; after you close it, deleted or anonymised except what laws require us to keep.
3.3 Where a law sets a longer period, that period applies; during it the data is only stored and protected.

4. Who sees your information
4.1 Members of your groups see your nickname, your role and the messages you send there; no other user sees your legal name, ID number or phone number.
4.2 Platform staff see what their duty needs: identity reviewers see masked identity data, and seeing it in full needs a stated reason and is recorded; compliance officers read logs and records. Every reveal of identity data is recorded.
4.3 Competent authorities conducting lawful supervision and inspection receive what the law requires.
4.4 We never sell your personal information or share it unlawfully.

5. Your rights
You may access, copy, correct and delete your personal information, withdraw consent, close your account, and ask us to explain these rules.

6. Changes
When this policy changes materially we publish a new version, and you must accept it before posting again."""


def seed(apps, schema_editor):
    Agreement = apps.get_model("accounts", "Agreement")
    Agreement.objects.get_or_create(kind="privacy", version="2026.1", defaults=dict(
        title_zh="个人信息保护政策", title_en="Personal Information Protection Policy", body_zh=PRIVACY_ZH,
        body_en=PRIVACY_EN, material=True, published_at=timezone.now()))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_seed_agreements_grades")]
    operations = [
        migrations.AlterField(
            model_name="agreement",
            name="kind",
            field=models.CharField(choices=[("service", "service agreement"), ("convention", "platform convention"),
                                            ("rules", "management rules"), ("privacy", "privacy policy")],
                                   max_length=12),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
