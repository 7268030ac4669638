"""Screening (G10) and emergency switches (G5a): rules and their change records, the evidence of blocked attempts,
held and flagged messages awaiting a moderator, and the switches' state with every toggle.

Rules are versioned by their change records: the highest ``RuleChange`` id is the rules' version, so each process
learns of any change (from the admin, an import, another process) by reading one number (see screening/automaton.py).
The same holds for switches and ``SwitchToggle``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .categories import CATEGORY_CHOICES

__all__ = [
    "BlockedAttempt", "ClearableText", "EmergencySwitch", "FlaggedItem", "HeldMessage", "HeldStatus", "ReviewStatus", "RuleAction",
    "RuleChange", "ScreeningRule", "SwitchKind", "SwitchToggle", "TextField",
]


class RuleAction(models.TextChoices):
    BLOCK = "block", "block (refuse, keep as evidence)"
    HOLD = "hold", "hold for review"
    FLAG = "flag", "deliver and flag for review"


class ScreeningRule(models.Model):
    """One keyword of a category. Matched on normalised text (screening/normalise.py); ``pattern`` (optional regular
    expression) narrows a keyword's hit: it is tried only on texts the automaton already found the keyword in."""

    keyword = models.CharField(max_length=100)
    # The keyword normalised, and its pinyin spelling when ``pinyin``: computed by the rule services on every write,
    # so a process builds its automaton from these columns without normalising 20,000 keywords again.
    key = models.CharField(max_length=200, editable=False, default="")
    pinyin_key = models.CharField(max_length=400, editable=False, blank=True, default="")
    pattern = models.CharField(max_length=300, blank=True,
                               help_text="optional regular expression, tried on the normalised text after a hit")
    category = models.CharField(max_length=16, choices=CATEGORY_CHOICES)
    action = models.CharField(max_length=8, choices=RuleAction.choices, default=RuleAction.BLOCK)
    pinyin = models.BooleanField(default=False, help_text="also match the keyword spelt in pinyin")
    enabled = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "审核规则 / screening rule"
        verbose_name_plural = "审核规则 / screening rules"
        constraints = [models.UniqueConstraint(fields=["keyword", "category"], name="screening_rule_unique")]
        indexes = [models.Index(fields=["category", "enabled"])]

    def __str__(self) -> str:
        return f"{self.keyword} [{self.category} {self.action}]"


class RuleChange(models.Model):
    """Every change of a rule, append-only; its id is the rules' version."""

    rule_id_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    change = models.CharField(max_length=12)  # create | update | disable | enable | import
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "规则变更记录 / rule change"
        verbose_name_plural = "规则变更记录 / rule changes"

    def __str__(self) -> str:
        return f"v{self.pk} {self.change} rule {self.rule_id_ref}"


class TextField(models.TextChoices):
    MESSAGE = "message", "message"
    GROUP_NAME = "group_name", "group name"
    ANNOUNCEMENT = "announcement", "announcement"
    RULES = "rules", "group rules"
    JOIN_QUESTION = "join_question", "join question"
    NICKNAME = "nickname", "nickname"
    COMPLAINT = "complaint", "complaint text"


class ClearableText:
    """A review text that goes after the retention period (moderation/review_texts.py): what screens show instead."""

    body: str
    content_cleared_at: object

    def text_shown(self) -> str:
        if self.content_cleared_at is None:
            return self.body
        day = timezone.localtime(self.content_cleared_at).date().isoformat()
        return f"（内容已于 {day} 按保存期限清除 / text cleared after the retention period on {day}）"


class BlockedAttempt(ClearableText, models.Model):
    """Evidence of a refused text: what was sent, by whom, where, and which rules refused it (moderators only).

    Written on its own connection when the refusal rolls back the caller's transaction (screening/hooks.py), so it
    may name a user or group that transaction had not yet committed: no database constraint on those keys."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, related_name="+",
                               db_constraint=False)
    group = models.ForeignKey("groups.Group", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+",
                              db_constraint=False)
    field = models.CharField(max_length=16, choices=TextField.choices, default=TextField.MESSAGE)
    client_id = models.CharField(max_length=64, blank=True)
    body = models.TextField()
    category = models.CharField(max_length=16, choices=CATEGORY_CHOICES)
    rule_ids = models.JSONField(default=list)
    matched = models.JSONField(default=list, help_text="the normalised keywords found")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    content_cleared_at = models.DateTimeField(
        "内容清除时间 / text cleared at", null=True, blank=True,
        help_text="the text was emptied after the retention period (moderation/review_texts.py)")

    class Meta:
        verbose_name = "拦截记录 / blocked attempt"
        verbose_name_plural = "拦截记录 / blocked attempts"
        # The daily clearing reads only the uncleared: the many blocked attempts already emptied are not scanned again.
        indexes = [models.Index(fields=["created_at", "id"], condition=models.Q(content_cleared_at__isnull=True),
                                name="blocked_uncleared")]

    def __str__(self) -> str:
        return f"blocked {self.field} by {self.sender_id} ({self.category})"


class HeldStatus(models.TextChoices):
    HELD = "held", "waiting for review"
    RELEASED = "released", "released (delivered)"
    REMOVED = "removed", "removed"


class HeldMessage(ClearableText, models.Model):
    """A message kept back for review. Not in groups' Message table (nobody else sees it) and with no seq: it takes
    the group's next seq only when released. Idempotent on (sender, client_id), like a sent message."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey("groups.Group", on_delete=models.PROTECT, related_name="+")
    client_id = models.CharField(max_length=64)
    body = models.TextField()
    category = models.CharField(max_length=16, blank=True, choices=CATEGORY_CHOICES)
    reason = models.CharField(max_length=16, default="rule")  # rule | intensity | grade | switch
    rule_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=HeldStatus.choices, default=HeldStatus.HELD)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=200, blank=True)
    message_id_ref = models.BigIntegerField(null=True, blank=True, help_text="the stored message, once released")
    content_cleared_at = models.DateTimeField(
        "内容清除时间 / text cleared at", null=True, blank=True,
        help_text="the text was emptied after the retention period (moderation/review_texts.py)")

    class Meta:
        verbose_name = "待审消息 / held message"
        verbose_name_plural = "待审消息 / held messages"
        constraints = [models.UniqueConstraint(fields=["sender", "client_id"], name="held_sender_client_unique")]
        indexes = [models.Index(fields=["status", "created_at"])]
        permissions = [("review_screening", "Can review held and flagged messages")]

    def __str__(self) -> str:
        return f"held {self.pk} by {self.sender_id} in {self.group_id} ({self.status})"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "waiting for review"
    CLEARED = "cleared", "reviewed, nothing to do"
    ACTIONED = "actioned", "reviewed, acted on"


class FlaggedItem(ClearableText, models.Model):
    """A delivered text queued for a moderator's look. For messages it is keyed by (sender, client_id): the message
    is stored by the send path after the hook ran, and found by that key."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey("groups.Group", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=16, choices=TextField.choices, default=TextField.MESSAGE)
    client_id = models.CharField(max_length=64, blank=True)
    body = models.TextField()
    category = models.CharField(max_length=16, choices=CATEGORY_CHOICES)
    rule_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    content_cleared_at = models.DateTimeField(
        "内容清除时间 / text cleared at", null=True, blank=True,
        help_text="the text was emptied after the retention period (moderation/review_texts.py)")

    class Meta:
        verbose_name = "标记待查内容 / flagged item"
        verbose_name_plural = "标记待查内容 / flagged items"
        constraints = [models.UniqueConstraint(fields=["sender", "client_id"], condition=models.Q(field="message"),
                                               name="flagged_message_unique")]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"flagged {self.field} by {self.sender_id} ({self.status})"


class SwitchKind(models.TextChoices):
    CREATE = "create", "stop group creation"
    LINK_JOIN = "link_join", "stop joining by link"
    POST = "post", "stop posting (read-only)"
    HOLD_ALL = "hold_all", "hold every new message for review"


PLATFORM = "*"


class EmergencySwitch(models.Model):
    """The current state of one switch in one scope: the whole platform (``*``) or one group category's slug."""

    kind = models.CharField(max_length=10, choices=SwitchKind.choices)
    scope = models.CharField(max_length=40, default=PLATFORM, help_text="* = whole platform, or a group category")
    on = models.BooleanField(default=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "应急开关 / emergency switch"
        verbose_name_plural = "应急开关 / emergency switches"
        constraints = [models.UniqueConstraint(fields=["kind", "scope"], name="emergency_switch_unique")]
        permissions = [("toggle_emergency_switch", "Can toggle emergency switches")]

    def __str__(self) -> str:
        return f"{self.kind}@{self.scope}={'on' if self.on else 'off'}"


class SwitchToggle(models.Model):
    """Every toggle, append-only, with who and why; its id is the switches' version."""

    kind = models.CharField(max_length=10, choices=SwitchKind.choices)
    scope = models.CharField(max_length=40)
    on = models.BooleanField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "开关操作记录 / switch toggle"
        verbose_name_plural = "开关操作记录 / switch toggles"

    def __str__(self) -> str:
        return f"{self.kind}@{self.scope} -> {'on' if self.on else 'off'} by {self.actor_id}"
