"""The demo's screening rules: one small, harmless keyword per content category, so a first run's moderator has
rules to read and queues with something in them. Real deployments import their own lists (admin: Import)."""

from __future__ import annotations

from accounts.models import User
from groupchat.core.origin import Origin
from groups.models import Group, Membership, Role
from groups.services.messages import SendRequest, message_send_many

from .rules import rules_import

# keyword, category, action, pinyin
SAMPLE: list[tuple[str, str, str, bool]] = [
    ("废除宪法", "ILL-01", "hold", False),
    ("泄露国家机密", "ILL-02", "block", False),
    ("损害国家利益教程", "ILL-03", "hold", False),
    ("抹黑英烈", "ILL-04", "block", False),
    ("恐怖袭击教程", "ILL-05", "block", False),
    ("煽动民族仇恨", "ILL-06", "block", False),
    ("邪教组织招募", "ILL-07", "block", False),
    ("内部消息银行倒闭", "ILL-08", "hold", False),
    ("色情网站", "ILL-09", "block", False),
    ("人肉搜索", "ILL-10", "hold", False),
    ("出售枪支", "ILL-11", "block", False),
    ("震惊99%的人不知道", "HARM-01", "flag", False),
    ("明星出轨内幕", "HARM-02", "flag", False),
    ("灾难活该", "HARM-03", "hold", False),
    ("裸聊", "HARM-04", "hold", False),
    ("血腥视频", "HARM-05", "hold", False),
    ("地域黑", "HARM-06", "flag", False),
    ("低俗段子", "HARM-07", "flag", False),
    ("未成年人喝酒挑战", "HARM-08", "hold", False),
    ("约架骂战", "HARM-09", "flag", False),
    ("刷单返利", "PLT-FRAUD", "block", True),
    ("网上赌场", "PLT-GAMBLING", "hold", True),
    ("加微信领红包", "PLT-SPAM", "flag", False),
    ("网暴他", "PLT-BULLY", "hold", False),
    ("儿童色情", "PLT-MINORS", "block", False),
    ("我要杀了你", "PLT-THREAT", "hold", False),
    ("盗版资源分享", "PLT-INFRINGE", "flag", False),
]

# What the demo's members "send" so the queues are not empty (held, blocked, flagged, held, held, delivered).
TRAFFIC = ["周末一起去网上赌场玩玩？", "兼职刷单返利，日结！", "加微信领红包啦", "明星出轨内幕了解一下",
           "有人做人肉搜索吗", "大家晚安"]

ORIGIN = Origin(ip="127.0.0.1", port=0, user_agent="seed")


def screening_sample_seed(*, actor: User | None = None) -> int:
    """Import the sample (idempotent: an existing keyword is left as an operator may have changed it)."""
    from ..models_screening import ScreeningRule

    have = set(ScreeningRule.objects.values_list("keyword", "category"))
    rows = [row for row in SAMPLE if (row[0], row[1]) not in have]
    if not rows:
        return 0
    text = "keyword,category,action,pinyin\n" + "".join(f"{k},{c},{a},{int(p)}\n" for k, c, a, p in rows)
    return rules_import(actor=actor, text=text, reason="demo sample").created


def screening_demo_traffic() -> int:
    """Send ``TRAFFIC`` through the real send path from members of the demo's groups (not their owners), so held,
    flagged and blocked items exist. Run outside a transaction. Returns how many messages were sent."""
    requests = []
    for group in Group.objects.order_by("id")[:3]:
        members = list(Membership.objects.filter(group=group, role=Role.MEMBER).select_related("user")
                       .exclude(user__username__startswith="demo")[:2])
        for n, text in enumerate(TRAFFIC):
            if members:
                sender = members[n % len(members)].user
                requests.append(SendRequest(sender, group.code, text, f"seed-screening-{group.pk}-{n}", ORIGIN))
    if requests:
        message_send_many(requests=requests)
    return len(requests)
