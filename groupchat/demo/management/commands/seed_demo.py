"""``manage.py seed_demo``: demo users with every role, groups of every size tier, and conversations.

Idempotent: a second run changes nothing and prints the logins again. DEV-ONLY passwords.
"""

from __future__ import annotations

import random

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group as RoleGroup
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import User, VerificationLevel
from groupchat.core.origin import Origin
from groups import services
from groups.models import Group, Membership, Role

DEMO_PASSWORD = "demo-pass-2026"  # DEV-ONLY: demo data for the embedded mode
ORIGIN = Origin(ip="127.0.0.1", port=0, user_agent="seed_demo")

PEOPLE = [
    # username, nickname, staff role (Django group) or "", superuser
    ("admin", "平台管理员", "", True),
    ("moderator", "审核员小周", "moderator", False),
    ("reviewer", "身份审核员", "identity reviewer", False),
    ("compliance", "合规专员", "compliance officer", False),
    ("laowang", "老王", "", False),
    ("alice", "Alice", "", False),
    ("bob", "Bob", "", False),
    ("xiaomei", "小美", "", False),
]

GROUPS = [
    # name, category, join mode, member target, cap, rules
    ("周末爬山小分队", "兴趣爱好", "open", 12, 200, "文明发言，不发广告。"),
    ("前端技术交流", "工作学习", "approval", 260, 500, "只讨论技术话题；禁止刷屏和广告；遵守《平台公约》。"),
    ("城市新闻讨论", "公共事务与新闻", "question", 650, 2000, "发布消息须注明来源；不得传播谣言；遵守国家法律法规。"),
]

LINES = [
    "大家好！", "周六早上八点地铁站集合？", "收到 👍", "记得带水和防晒", "今天的分享很有收获",
    "有人试过新版本吗？", "同意楼上", "晚点我把资料发群里", "Good morning everyone!", "谢谢群主",
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        if not User.objects.filter(username="admin").exists():
            # The demo conversation is written through the real send path, faster than a person may type.
            with transaction.atomic(), override_settings(GROUPCHAT={**settings.GROUPCHAT, "SEND_RATE": "10000/second"}):
                self._seed()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data already present.")
        self._print_logins()

    def _seed(self) -> None:
        for role in ("moderator", "identity reviewer", "compliance officer"):
            RoleGroup.objects.get_or_create(name=role)
        people = {}
        for username, nickname, role, superuser in PEOPLE:
            user = User.objects.create_user(
                username, DEMO_PASSWORD, nickname=nickname, is_staff=bool(role or superuser),
                is_superuser=superuser, verification_level=VerificationLevel.PERSONAL,
            )
            if role:
                user.groups.add(RoleGroup.objects.get(name=role))
            people[username] = user
        # Crowd members for the larger tiers: one password hash shared, inserted in bulk.
        hashed = make_password(DEMO_PASSWORD)
        crowd = User.objects.bulk_create([
            User(username=f"demo{i:03d}", nickname=f"群友{i:03d}", password=hashed,
                 verification_level=VerificationLevel.PHONE)
            for i in range(700)
        ])
        rng = random.Random(2017)
        owner = people["laowang"]
        regulars = [people["alice"], people["bob"], people["xiaomei"]]
        for name, category, mode, target, cap, rules in GROUPS:
            group = services.group_create(owner=owner, name=name, category=category, join_mode=mode,
                                          join_question="你为什么想加入？" if mode == "question" else "",
                                          announcement=f"欢迎来到「{name}」！", rules=rules,
                                          acknowledge_duties=True, origin=ORIGIN)
            Group.objects.filter(pk=group.pk).update(member_cap=cap)
            extra = crowd[: max(0, target - 1 - len(regulars))]
            Membership.objects.bulk_create(
                [Membership(group=group, user=u, role=Role.MEMBER) for u in regulars + extra]
            )
            Membership.objects.filter(group=group).update(rules_accepted_at=group.created_at)
            Group.objects.filter(pk=group.pk).update(member_count=1 + len(regulars) + len(extra))
            group.refresh_from_db()
            services.member_set_role(actor=owner, group=group, target=people["alice"], role=Role.ADMIN,
                                     origin=ORIGIN)
            speakers = [owner, *regulars]
            for n in range(30):
                services.message_send(sender=rng.choice(speakers), group_code=group.code, body=rng.choice(LINES),
                                      client_id=f"seed-{group.code}-{n}", origin=ORIGIN)

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, nickname, role, superuser in PEOPLE:
            what = "superuser" if superuser else (role or "user")
            self.stdout.write(f"  {username:<11} {nickname:<8} {what}")
        self.stdout.write("  demo000..demo699 crowd members")
        for group in Group.objects.order_by("pk")[:10]:
            self.stdout.write(f"  group {group.code}  {group.name}  ({group.member_count} members)")
