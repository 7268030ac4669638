"""Measures against groups and users (G11a, G11b), the blacklist (G11c) and appeals.

``Measure`` is the immutable record the law asks for: one row per decision, never edited. Lifting or shortening a
measure is a new row that refers to the one it changes (``amends``). What is in force *now* is kept, derived, in
``Restriction`` (one row per active measure with a lasting effect), which the send, join, create, invite and search
paths read in one indexed query; services keep both in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .categories import CATEGORY_CHOICES

__all__ = [
    "GROUP_KINDS", "LASTING_KINDS", "USER_KINDS", "Appeal", "AppealStatus", "Change", "Measure", "MeasureKind",
    "Restriction", "TargetType",
]


class MeasureKind(models.TextChoices):
    # On groups (G11a)
    WARNING = "warning", "warning with rectification deadline / 警告并限期整改"
    SUSPEND_POSTING = "suspend_posting", "posting suspended until / 暂停发言"
    CLOSE = "close", "closure / 关闭群组"
    STARS_DOWN = "stars_down", "group credit stars lowered / 降低群信用星级"
    # On users (G11b)
    CREDIT_DOWN = "credit_down", "credit lowered / 降低信用等级"
    SUSPEND_ADMIN = "suspend_admin", "admin rights suspended until / 暂停管理权限"
    REVOKE_CREATE = "revoke_create", "group creation revoked / 取消建群资格"
    MUTE_PLATFORM = "mute_platform", "platform-wide mute until / 全平台禁言"
    FORCE_OFFLINE = "force_offline", "forced offline / 强制下线"
    # On groups, users or identities (G11c)
    BLACKLIST = "blacklist", "blacklist / 列入黑名单"


GROUP_KINDS = {MeasureKind.WARNING, MeasureKind.SUSPEND_POSTING, MeasureKind.CLOSE, MeasureKind.STARS_DOWN,
               MeasureKind.BLACKLIST}
USER_KINDS = {MeasureKind.CREDIT_DOWN, MeasureKind.SUSPEND_ADMIN, MeasureKind.REVOKE_CREATE,
              MeasureKind.MUTE_PLATFORM, MeasureKind.FORCE_OFFLINE, MeasureKind.BLACKLIST}
# Kinds whose effect lasts (a Restriction row while in force); the others act once.
LASTING_KINDS = {MeasureKind.WARNING, MeasureKind.SUSPEND_POSTING, MeasureKind.SUSPEND_ADMIN,
                 MeasureKind.REVOKE_CREATE, MeasureKind.MUTE_PLATFORM, MeasureKind.BLACKLIST}


class TargetType(models.TextChoices):
    GROUP = "group", "group / 群组"
    USER = "user", "user / 用户"
    IDENTITY = "identity", "identity (keyed hash) / 身份"


class Change(models.TextChoices):
    ISSUE = "issue", "issued / 作出"
    LIFT = "lift", "lifted / 解除"
    SHORTEN = "shorten", "shortened / 缩短"


class Measure(models.Model):
    """One decision, immutable. ``amends`` points from a lift/shorten record to the measure it changes."""

    kind = models.CharField(max_length=16, choices=MeasureKind.choices)
    change = models.CharField(max_length=8, choices=Change.choices, default=Change.ISSUE)
    amends = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments")
    target_type = models.CharField(max_length=8, choices=TargetType.choices)
    target_group = models.ForeignKey("groups.Group", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="measures")
    target_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="measures")
    target_identity = models.CharField(max_length=64, blank=True, help_text="keyed hash of an ID number, never the number")
    reason_code = models.CharField(max_length=16, choices=CATEGORY_CHOICES)
    reason = models.TextField(blank=True)
    basis_article = models.PositiveSmallIntegerField()
    basis_paragraph = models.PositiveSmallIntegerField(null=True, blank=True)
    basis_citation = models.CharField(max_length=80)
    basis_text = models.TextField()
    evidence = models.JSONField(default=dict, blank=True)
    evidence_sha256 = models.CharField(max_length=64)
    # Kind-specific values: credit points, stars before/after, the user's identity hashes, ...
    data = models.JSONField(default=dict, blank=True)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="measures_issued")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="empty: permanent or instant")
    report = models.BooleanField(default=True, help_text="include in the regulator report")
    source = models.CharField(max_length=40, blank=True, help_text="e.g. complaint:123, message:456")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["target_user", "-created_at"]),
            models.Index(fields=["target_group", "-created_at"]),
            models.Index(fields=["kind", "-created_at"]),
        ]
        permissions = [
            ("issue_measure", "Can issue and lift measures"),
            ("decide_appeal", "Can decide appeals against measures"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.change} {self.kind} on {self.target_label()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("measures are immutable: lift or shorten with a new record")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("measures are immutable")

    def target_label(self) -> str:
        if self.target_type == TargetType.GROUP:
            return f"group {self.target_group_id}"
        if self.target_type == TargetType.USER:
            return f"user {self.target_user_id}"
        return f"identity {self.target_identity[:8]}…"


class Restriction(models.Model):
    """A measure in force, derived from ``Measure`` rows by the services (deleted when lifted or swept after its
    end). The paths check ``until`` themselves, so an expired row refuses nothing even before the sweep runs."""

    measure = models.OneToOneField(Measure, on_delete=models.CASCADE, related_name="restriction")
    kind = models.CharField(max_length=16, choices=MeasureKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    group = models.ForeignKey("groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    identity = models.CharField(max_length=64, blank=True)
    until = models.DateTimeField(null=True, blank=True, help_text="empty: permanent")
    # Warnings: when the rectification deadline passed without a lift, the sweep puts it on the moderators' queue.
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "kind"]),
            models.Index(fields=["group", "kind"]),
            models.Index(fields=["identity"], condition=~models.Q(identity=""), name="restriction_identity"),
            models.Index(fields=["until"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} until {self.until or 'permanent'}"

    def active(self, now=None) -> bool:
        return self.until is None or self.until > (now or timezone.now())


class AppealStatus(models.TextChoices):
    PENDING = "pending", "pending / 待处理"
    UPHELD = "upheld", "upheld, measure lifted / 申诉成立"
    REJECTED = "rejected", "rejected / 申诉驳回"


class Appeal(models.Model):
    """The target's one appeal against a measure, decided by a moderator other than the issuer."""

    measure = models.OneToOneField(Measure, on_delete=models.PROTECT, related_name="appeal")
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appeals")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="appeals_decided")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_text = models.TextField(blank=True)
    lift = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"appeal on measure {self.measure_id} ({self.status})"
