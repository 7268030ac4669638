"""Complaints (REGULATION G12): a reporter's ticket, the moderators' case, frozen evidence, SLA escalations.

A *complaint* is one reporter's ticket (its number is shown at once); a *case* is the moderators' unit of work: every
open complaint about the same target joins one case, so many reports about one message are handled once. A
complaint's state, as its reporter sees it, is its case's. Evidence is frozen at report time with a SHA-256 and
never changes; every workflow step writes a ``CaseEvent``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from moderation.categories import CATEGORY_CHOICES, Report12377


class Source(models.TextChoices):
    USER = "user", "用户举报 / user report"
    REFERRAL_12377 = "12377", "12377 转办 / referred by 12377"
    REFERRAL_CAC = "cac", "网信部门转办 / referred by the CAC"


class TargetKind(models.TextChoices):
    MESSAGE = "message", "消息 / message"
    USER = "user", "用户 / user"
    GROUP = "group", "群 / group"


class CaseStatus(models.TextChoices):
    NEW = "new", "新建 / new"
    TRIAGED = "triaged", "已分诊 / triaged"
    ASSIGNED = "assigned", "已分派 / assigned"
    DECIDED = "decided", "已处理 / decided"
    CLOSED = "closed", "已关闭 / closed"
    MERGED = "merged", "已合并 / merged"


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.TRIAGED, CaseStatus.ASSIGNED)


class Outcome(models.TextChoices):
    NONE = "", "—"
    NO_VIOLATION = "no_violation", "未发现违规 / no violation"
    VIOLATION = "violation", "确认违规 / violation"


class Escalation(models.TextChoices):
    NONE = "", "—"
    NEARING = "nearing", "临近时限 / nearing"
    OVERDUE = "overdue", "已超时 / overdue"


class Case(models.Model):
    target_kind = models.CharField(max_length=8, choices=TargetKind.choices)
    # "message:<id>", "user:<id>" or "group:<code>": complaints with the same key while a case is open join it.
    target_key = models.CharField(max_length=40, db_index=True)
    # The person the case is about (the message's sender, the user, the group's owner): never shown who reported.
    target_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    group = models.ForeignKey("groups.Group", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    message = models.ForeignKey("groups.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=16, choices=CATEGORY_CHOICES)
    urgent = models.BooleanField(default=False)
    priority = models.BooleanField(default=False, help_text="referred by the authority (12377 / CAC)")
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.NEW, db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    outcome = models.CharField(max_length=14, choices=Outcome.choices, default=Outcome.NONE, blank=True)
    outcome_reason = models.TextField(blank=True, help_text="told to the reporters in plain words")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The measures a violation decision took (through moderation's ``measure_issue``) or linked.
    measures = models.ManyToManyField("moderation.Measure", blank=True, related_name="complaint_cases")
    created_at = models.DateTimeField(default=timezone.now)
    triage_due = models.DateTimeField()
    decide_due = models.DateTimeField(db_index=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalation = models.CharField(max_length=8, choices=Escalation.choices, default=Escalation.NONE, blank=True)
    # When the SLA sweep next needs to look at this case (its next nearing or due moment; in the past after a change
    # of deadlines, so the next run catches up); null once nothing more can be raised. The sweep reads only cases due.
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "举报案件 / complaint case"
        verbose_name_plural = "举报案件 / complaint cases"
        constraints = [
            models.UniqueConstraint(fields=["target_key"], condition=models.Q(status__in=["new", "triaged", "assigned"]),
                                    name="case_one_open_per_target"),
        ]
        permissions = [("handle_case", "Can triage, assign and decide complaint cases")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.target_key} {self.category} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Complaint(models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="complaints")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="complaints_filed")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.USER)
    authority_ref = models.CharField(max_length=60, blank=True, help_text="the authority's reference number")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", help_text="staff who entered a referral")
    target_kind = models.CharField(max_length=8, choices=TargetKind.choices)
    target_key = models.CharField(max_length=40)
    category = models.CharField(max_length=16, choices=CATEGORY_CHOICES)
    report_type = models.CharField(max_length=14, choices=Report12377.choices)
    urgent = models.BooleanField(default=False)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # This ticket's own deadline (the case's may be tighter when an urgent report joined it); for the statistics.
    decide_due = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    false_report = models.BooleanField(default=False, help_text="found malicious by a moderator")
    # When the state the reporter sees last changed, and when they last looked at their reports: "updated" marks.
    changed_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "举报单 / report"
        verbose_name_plural = "举报单 / reports"
        indexes = [models.Index(fields=["reporter", "-created_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def updated_for_reporter(self) -> bool:
        return self.changed_at is not None and (self.seen_at is None or self.changed_at > self.seen_at)


class Evidence(models.Model):
    """What was reported, as it stood at report time: kept even when the message is later recalled or removed."""

    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="evidence")
    snapshot = models.JSONField()
    sha256 = models.CharField(max_length=64)
    frozen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "冻结证据 / frozen evidence"
        verbose_name_plural = "冻结证据 / frozen evidence"

    def __str__(self) -> str:
        return f"evidence of {self.complaint_id} ({self.sha256[:12]})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("evidence is frozen")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("evidence is frozen")


class EventKind(models.TextChoices):
    FILED = "filed", "filed"
    REFERRED = "referred", "referral entered"
    JOINED = "joined", "joined an open case"
    TRIAGED = "triaged", "triaged"
    ASSIGNED = "assigned", "assigned"
    DECIDED = "decided", "decided"
    CLOSED = "closed", "closed"
    MERGED = "merged", "merged"
    ESCALATED = "escalated", "escalated"
    FALSE_REPORT = "false_report", "marked a false report"


class CaseEvent(models.Model):
    """Every step of a case, append-only (who, what, when)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    complaint = models.ForeignKey(Complaint, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=14, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "案件记录 / case event"
        verbose_name_plural = "案件记录 / case events"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} case {self.case_id}"


class SlaAlert(models.Model):
    """One alert per case, stage and level: the sweep's record that it raised it (so a second run raises none)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="alerts")
    stage = models.CharField(max_length=8)  # triage | decide
    level = models.CharField(max_length=8, choices=Escalation.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "时限提醒 / SLA alert"
        verbose_name_plural = "时限提醒 / SLA alerts"
        constraints = [models.UniqueConstraint(fields=["case", "stage", "level"], name="slaalert_once")]

    def __str__(self) -> str:
        return f"case {self.case_id} {self.stage} {self.level}"


class Holiday(models.Model):
    """The official holiday table (kept in the admin): a date off, or a weekend date made a working day (调休)."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=40)
    working = models.BooleanField(default=False, help_text="a weekend day that is a working day (调休上班)")

    class Meta:
        verbose_name = "节假日 / holiday"
        verbose_name_plural = "节假日表 / holidays"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}{' (working)' if self.working else ''}"


class DutyShift(models.Model):
    """Who is on duty when: SLA alerts go to the moderators on duty (to every case handler when nobody is)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        verbose_name = "值班 / duty shift"
        verbose_name_plural = "值班表 / duty shifts"
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%H:%M}"
