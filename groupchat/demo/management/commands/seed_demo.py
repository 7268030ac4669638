"""``manage.py seed_demo``: demo users with every role, groups of every size tier, conversations, and a filed
version of the tier system (with a demo filing number) so the compliance officer's filing pages show the workflow.

Idempotent: a second run changes nothing and prints the logins again. DEV-ONLY passwords.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group as RoleGroup
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.agreements import agreements_accept
from accounts.models import User, VerificationLevel
from compliance.models import FilingRecord
from compliance.services.filing import filing_mark_filed, filing_version_create
from groupchat.core.events import record_many
from groupchat.core.origin import Origin
from groups import services
from groups.models import Group, GroupApplication, Membership, Message, Role
from groups.services import tiers as tier_services

DEMO_PASSWORD = "demo-pass-2026"  # DEV-ONLY: demo data for the embedded mode
ORIGIN = Origin(ip="127.0.0.1", port=0, user_agent="seed_demo")
# Plainly not a real acknowledgement number: the demo must never pass for a filed service.
DEMO_FILING_NUMBER = "演示-DEMO-2026-0001（非真实备案编号 / not a real filing number）"
DEMO_AUTHORITY = "演示：省级网信办 / demo authority"

PEOPLE = [
    # username, nickname, staff role (Django group) or "", superuser
    ("admin", "平台管理员", "", True),
    ("moderator", "审核员小周", "moderator", False),
    ("senior", "资深审核员老陈", "senior moderator", False),  # toggles switches, decides appeals, edits rules
    ("reviewer", "身份审核员", "identity reviewer", False),
    ("compliance", "合规专员", "compliance officer", False),
    ("laowang", "老王", "", False),  # credit grade A: may own a large group
    ("alice", "Alice", "", False),
    ("bob", "Bob", "", False),
    ("xiaomei", "小美", "", False),
]

GROUPS = [
    # name, category, join mode, member target, tier, rules
    ("周末爬山小分队", "interest", "open", 12, "small", "文明发言，不发广告。"),
    ("前端技术交流", "work-study", "approval", 260, "medium", "只讨论技术话题；禁止刷屏和广告；遵守《平台公约》。"),
    ("城市新闻讨论", "public-affairs", "question", 650, "large", "发布消息须注明来源；不得传播谣言；遵守国家法律法规。"),
]

LINES = [
    "大家好！", "周六早上八点地铁站集合？", "收到 👍", "记得带水和防晒", "今天的分享很有收获",
    "有人试过新版本吗？", "同意楼上", "晚点我把资料发群里", "Good morning everyone!", "谢谢群主",
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        if not User.objects.filter(username="admin").exists():
            with transaction.atomic():
                self._seed()
            # Screening rules and a few caught messages, so the moderator's queues have something in them.
            call_command("seed_screening", traffic=True, stdout=self.stdout)
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data already present.")
        self._seed_filing()
        self._print_logins()

    def _seed_filing(self) -> None:
        """The live tier system as version 1 (or the latest, when unchanged), marked filed by the demo compliance
        officer under a demo number. Once any version is filed this does nothing: a second run, or a version made
        since by editing the tiers, is left as it is (that one is for the officer to file)."""
        officer = User.objects.filter(username="compliance").first()
        if officer is None or FilingRecord.objects.filter(filed=True).exists():
            return
        with transaction.atomic():
            filing = filing_version_create(actor=officer,
                                           summary="演示数据：初始分级分类管理制度 / demo: the initial tier system")
            filing_mark_filed(actor=officer, filing=filing, filing_number=DEMO_FILING_NUMBER,
                              authority=DEMO_AUTHORITY, origin=ORIGIN)
        self.stdout.write(f"Filing version {filing.version} marked filed ({DEMO_FILING_NUMBER}).")

    def _seed(self) -> None:
        for role in ("moderator", "senior moderator", "identity reviewer", "compliance officer"):
            RoleGroup.objects.get_or_create(name=role)
        people = {}
        for username, nickname, role, superuser in PEOPLE:
            user = User.objects.create_user(
                username, DEMO_PASSWORD, nickname=nickname, is_staff=bool(role or superuser),
                is_superuser=superuser, verification_level=VerificationLevel.PERSONAL,
            )
            if role:
                user.groups.add(RoleGroup.objects.get(name=role))
            if username == "laowang":
                User.objects.filter(pk=user.pk).update(credit_score=95)
            agreements_accept(user=user, origin=ORIGIN)
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
        for name, category, mode, target, tier, rules in GROUPS:
            group = services.group_create(owner=owner, name=name, category=category, join_mode=mode, tier=tier,
                                          join_question="你为什么想加入？" if mode == "question" else "",
                                          announcement=f"欢迎来到「{name}」！", rules=rules,
                                          acknowledge_duties=True, origin=ORIGIN)
            if isinstance(group, GroupApplication):  # a reviewed tier: the platform approves it
                group = tier_services.application_decide(actor=people["moderator"], application_id=group.pk,
                                                         approve=True, reason="demo", origin=ORIGIN).group
            extra = crowd[: max(0, target - 1 - len(regulars))]
            Membership.objects.bulk_create(
                [Membership(group=group, user=u, role=Role.MEMBER) for u in regulars + extra]
            )
            Membership.objects.filter(group=group).update(rules_accepted_at=group.created_at)
            Group.objects.filter(pk=group.pk).update(member_count=1 + len(regulars) + len(extra))
            group.refresh_from_db()
            services.member_set_role(actor=owner, group=group, target=people["alice"], role=Role.ADMIN,
                                     origin=ORIGIN, acknowledge_duties=True)
            speakers = [owner, *regulars]
            self._conversation(group, speakers, rng)

    def _conversation(self, group: Group, speakers: list, rng: random.Random) -> None:
        """Thirty messages spread over the last two days, with their network-log rows (history, not live traffic)."""
        start = timezone.now() - timedelta(days=2)
        messages, log = [], []
        for seq in range(1, 31):
            sender = rng.choice(speakers)
            at = start + timedelta(minutes=seq * 90 + rng.randint(0, 60))
            messages.append(Message(group=group, seq=seq, sender=sender, client_id=f"seed-{group.code}-{seq}",
                                    body=rng.choice(LINES), created_at=at))
            log.append({"at": at, "kind": "message.sent", "actor_id": sender.pk, "group_code": group.code,
                        "origin": ORIGIN, "data": {"seq": seq, "type": "text"}})
        Message.objects.bulk_create(messages)
        record_many(log)
        Group.objects.filter(pk=group.pk).update(last_seq=30, last_message_at=messages[-1].created_at)

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, nickname, role, superuser in PEOPLE:
            what = "superuser" if superuser else (role or "user")
            self.stdout.write(f"  {username:<11} {nickname:<8} {what}")
        self.stdout.write("  demo000..demo699 crowd members")
        for group in Group.objects.order_by("pk")[:10]:
            tier = group.tier.slug if group.tier else "-"
            self.stdout.write(f"  group {group.code}  {group.name}  ({tier}, {group.member_count} members)")
