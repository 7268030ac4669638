"""Compliance records: legal holds and what they keep, retention runs, the network log's seals, lawful inspection
requests and their downloads (REGULATION G13a, G13b).

Everything here is evidence of how the platform kept (or let go of) its logs, so rows are written by services only
and the admin shows them read-only, except the fields a compliance officer types in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class LegalHold(models.Model):
    """An authority's order to keep records past the retention period: by user, group and/or time range."""

    authority = models.CharField("requesting authority", max_length=200)
    document_number = models.CharField(max_length=100)
    reason = models.TextField()
    user_id = models.BigIntegerField("user id", null=True, blank=True, db_index=True)  # not a FK: outlives the account
    group_code = models.CharField(max_length=10, blank=True, db_index=True)
    starts_at = models.DateTimeField("from", null=True, blank=True)
    ends_at = models.DateTimeField("until", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    release_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = "legal hold"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.authority} {self.document_number}"

    @property
    def active(self) -> bool:
        return self.released_at is None

    def covers(self) -> Q:
        """The records this hold keeps, as a filter on a log-shaped model (LogEntry or HeldLogEntry)."""
        q = Q()
        if self.user_id is not None:
            q &= Q(actor_id=self.user_id) | Q(target_id=self.user_id)
        if self.group_code:
            q &= Q(group_code=self.group_code)
        if self.starts_at is not None:
            q &= Q(created_at__gte=self.starts_at)
        if self.ends_at is not None:
            q &= Q(created_at__lt=self.ends_at)
        return q


class RunStatus(models.TextChoices):
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class RetentionRun(models.Model):
    """One run of the retention sweep: the cutoff it used and what it purged and kept."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    cutoff = models.DateTimeField(help_text="records created before this were purged, unless held")
    retention_days = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING)
    purged = models.BigIntegerField(default=0)
    moved_to_hold = models.BigIntegerField(default=0)
    held_copies_released = models.BigIntegerField(default=0)
    first_purged_id = models.BigIntegerField(null=True, blank=True)
    last_purged_id = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "retention run"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} cutoff {self.cutoff:%Y-%m-%d} purged {self.purged}"


class HeldLogEntry(models.Model):
    """A network-log record a legal hold kept when the purge removed it from the log: its canonical form exactly as
    it was sealed (so it still verifies against its seal), plus the columns to search by."""

    log_id = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=40)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    group_code = models.CharField(max_length=10, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    columns = models.JSONField()
    canonical = models.TextField()
    holds = models.ManyToManyField(LegalHold, related_name="held_entries")
    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="held_entries")
    moved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "held network-log record"
        ordering = ["log_id"]

    def __str__(self) -> str:
        return f"log #{self.log_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M:%S}"


class Seal(models.Model):
    """One link of the network log's seal chain: the rows of one settled time slice, hashed in id order.

    ``ids`` and ``digests`` (8 bytes per row) only locate the first bad record; what proves the slice is ``rows_hash``
    (SHA-256 over the rows' full digests), bound with the slice, the counts and the previous seal's hash into
    ``hash`` and signed with the platform key. Seals are kept after their rows are purged, so the chain verifies.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    slice_start = models.DateTimeField(unique=True)
    slice_end = models.DateTimeField()
    count = models.PositiveIntegerField()
    first_id = models.BigIntegerField(null=True, blank=True)
    last_id = models.BigIntegerField(null=True, blank=True)
    columns = models.JSONField()
    ids = models.BinaryField()
    digests = models.BinaryField()
    rows_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    signature = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16)
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "network-log seal"
        ordering = ["-seq"]
        permissions = [("verify_seals", "Can run the network-log seal verification")]

    def __str__(self) -> str:
        return f"seal {self.seq} {self.slice_start:%Y-%m-%d %H:%M}-{self.slice_end:%H:%M} ({self.count})"


class SealVerification(models.Model):
    """The outcome of one verification of the whole seal chain against the log."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField()
    seals = models.PositiveIntegerField(default=0)
    records = models.BigIntegerField(default=0)
    purged_seals = models.PositiveIntegerField(default=0)
    unsealed_records = models.BigIntegerField(default=0)
    first_problem = models.TextField(blank=True)
    problems = models.JSONField(default=list)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        verbose_name = "seal verification"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'OK' if self.ok else 'FAILED'}"


class InspectionStatus(models.TextChoices):
    PENDING = "pending", "awaiting a second officer's approval"
    APPROVED = "approved", "approved"
    REJECTED = "rejected", "rejected"
    EXPORTING = "exporting", "exporting"
    READY = "ready", "package ready"
    FAILED = "failed", "export failed"


class InspectionRequest(models.Model):
    """A lawful request for data (G13a): who asks, on what document, for what; approved by a second officer."""

    authority = models.CharField("requesting authority", max_length=200)
    document_number = models.CharField(max_length=100)
    legal_basis = models.CharField(max_length=300, blank=True)
    reason = models.TextField()
    user_ids = models.JSONField("user ids in scope", default=list, blank=True)
    group_codes = models.JSONField("group codes in scope", default=list, blank=True)
    starts_at = models.DateTimeField("from", null=True, blank=True)
    ends_at = models.DateTimeField("until", null=True, blank=True)
    status = models.CharField(max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.PENDING,
                              db_index=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(default=0)
    package_path = models.CharField(max_length=500, blank=True)
    package_sha256 = models.CharField(max_length=64, blank=True)
    package_size = models.BigIntegerField(default=0)
    exported_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "lawful inspection request"
        ordering = ["-entered_at"]
        permissions = [
            ("approve_inspectionrequest", "Can approve a lawful inspection request (not one's own)"),
            ("download_inspectionpackage", "Can download an inspection package (each download is recorded)"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.authority} {self.document_number} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if self.status == InspectionStatus.READY:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0


class InspectionDownload(models.Model):
    """Every download of an inspection package: who, when, from where."""

    request = models.ForeignKey(InspectionRequest, on_delete=models.PROTECT, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    package_sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = "inspection package download"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} request {self.request_id} by user {self.user_id}"


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", "monthly / 月度"
    ON_DEMAND = "on_demand", "on demand / 临时"


class ReportStatus(models.TextChoices):
    BUILDING = "building", "building"
    READY = "ready", "ready"
    FAILED = "failed", "failed"


class RegulatorReport(models.Model):
    """A report to the regulator for a period (G11 报告; the annual report is the year's twelve): measures taken,
    blacklist changes, complaints and handling times, held and blocked content by category, filing changes."""

    kind = models.CharField(max_length=10, choices=ReportKind.choices)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.BUILDING)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    measures_count = models.PositiveIntegerField(default=0)
    package_path = models.CharField(max_length=500, blank=True)
    package_sha256 = models.CharField(max_length=64, blank=True)
    package_size = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submission_reference = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = "regulator report"
        ordering = ["-period_end", "-pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "period_start"], condition=Q(kind="monthly"),
                                               name="one_monthly_report_per_month")]

    def __str__(self) -> str:
        return f"{self.kind} report {self.period_start:%Y-%m-%d} – {self.period_end:%Y-%m-%d}"


class ReportedMeasure(models.Model):
    """A measure's place in exactly one regulator report (the one-to-one makes a second impossible)."""

    measure = models.OneToOneField("moderation.Measure", on_delete=models.PROTECT, related_name="reported_in")
    report = models.ForeignKey(RegulatorReport, on_delete=models.PROTECT, related_name="measures")

    class Meta:
        verbose_name = "measure in a regulator report"

    def __str__(self) -> str:
        return f"measure {self.measure_id} in report {self.report_id}"
