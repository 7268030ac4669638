"""Compliance records: legal holds and what they keep, retention runs, the network log's seals, lawful inspection
requests and their downloads (REGULATION G13a, G13b).

Everything here is evidence of how the platform kept (or let go of) its logs, so rows are written by services only
and the admin shows them read-only, except the fields a compliance officer types in.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class LegalHoldQuerySet(models.QuerySet):
    def active(self) -> LegalHoldQuerySet:
        """The holds in force (not released): what the purge and the clearing of texts must keep."""
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """An authority's order to keep records past the retention period: by user, group and/or time range."""

    authority = models.CharField("提出机关 / requesting authority", max_length=200)
    document_number = models.CharField("文书编号 / document number", max_length=100)
    reason = models.TextField("事由 / reason")
    user_id = models.BigIntegerField("用户 ID / user id", null=True, blank=True, db_index=True)  # not a FK: outlives the account
    group_code = models.CharField("群号 / group code", max_length=10, blank=True, db_index=True)
    starts_at = models.DateTimeField("起 / from", null=True, blank=True)
    ends_at = models.DateTimeField("止 / until", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人 / created by", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间 / created at", default=timezone.now)
    released_at = models.DateTimeField("解除时间 / released at", null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="解除人 / released by", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    release_reason = models.TextField("解除理由 / release reason", blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        verbose_name = "法律保全 / legal hold"
        verbose_name_plural = "法律保全 / legal hold"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.authority} {self.document_number}"

    @property
    def active(self) -> bool:
        return self.released_at is None

    def covers(self, fields: HoldFields | None = None) -> Q:
        """The records this hold keeps, as a filter on a log-shaped model (LogEntry or HeldLogEntry), or on another
        model whose columns ``fields`` names (MESSAGE_FIELDS: groups' messages)."""
        fields = fields or LOG_FIELDS
        q = Q()
        if self.user_id is not None:
            q &= reduce(operator.or_, (Q(**{name: self.user_id}) for name in fields.users))
        if self.group_code:
            q &= Q(**{fields.group_code: self.group_code})
        if self.starts_at is not None:
            q &= Q(**{f"{fields.at}__gte": self.starts_at})
        if self.ends_at is not None:
            q &= Q(**{f"{fields.at}__lt": self.ends_at})
        return q


@dataclass(frozen=True)
class HoldFields:
    """Where a hold's scope is on a model: the user columns (any of them), the group code and the time."""

    users: tuple[str, ...]
    group_code: str
    at: str


LOG_FIELDS = HoldFields(users=("actor_id", "target_id"), group_code="group_code", at="created_at")
# A message is its ``message.sent`` record: the sender is its actor, the time its creation.
MESSAGE_FIELDS = HoldFields(users=("sender_id",), group_code="group__code", at="created_at")


def holds_cover(holds: Iterable[LegalHold], fields: HoldFields | None = None) -> Q | None:
    """What any of ``holds`` keeps (None when there is no hold): the one filter the log purge and the clearing of
    removed messages' content both exclude."""
    q = None
    for hold in holds:
        q = hold.covers(fields) if q is None else q | hold.covers(fields)
    return q


class RunStatus(models.TextChoices):
    RUNNING = "running", "进行中 / running"
    DONE = "done", "完成 / done"
    FAILED = "failed", "失败 / failed"


class RetentionRun(models.Model):
    """One run of the retention sweep: the cutoff it used and what it purged and kept."""

    started_at = models.DateTimeField("开始 / started", default=timezone.now)
    finished_at = models.DateTimeField("结束 / finished", null=True, blank=True)
    cutoff = models.DateTimeField("截止点 / cutoff", help_text="records created before this were purged, unless held")
    retention_days = models.PositiveIntegerField("保存天数 / retention days")
    status = models.CharField("状态 / status", max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING)
    purged = models.BigIntegerField("已清除 / purged", default=0)
    moved_to_hold = models.BigIntegerField("转入保全 / moved to hold", default=0)
    held_copies_released = models.BigIntegerField("释放的保全副本 / held copies released", default=0)
    first_purged_id = models.BigIntegerField("首条清除 ID / first purged id", null=True, blank=True)
    last_purged_id = models.BigIntegerField("末条清除 ID / last purged id", null=True, blank=True)
    # PostgreSQL: the month partitions dropped, each {"name", "start", "end", "rows", "first_id", "last_id"}.
    partitions_dropped = models.JSONField("丢弃的月分区 / month partitions dropped", default=list, blank=True)
    error = models.TextField("错误 / error", blank=True)

    class Meta:
        verbose_name = "日志清理批次 / retention run"
        verbose_name_plural = "日志清理批次 / retention run"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} cutoff {self.cutoff:%Y-%m-%d} purged {self.purged}"


class HeldLogEntry(models.Model):
    """A network-log record a legal hold kept when the purge removed it from the log: its canonical form exactly as
    it was sealed (so it still verifies against its seal), plus the columns to search by."""

    log_id = models.BigIntegerField("日志 ID / log id", unique=True)
    created_at = models.DateTimeField("创建时间 / created at", db_index=True)
    kind = models.CharField("类型 / kind", max_length=40)
    actor_id = models.BigIntegerField("操作人 ID / actor id", null=True, blank=True, db_index=True)
    target_id = models.BigIntegerField("对象 ID / target id", null=True, blank=True)
    group_code = models.CharField("群号 / group code", max_length=10, blank=True, db_index=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    columns = models.JSONField("列 / columns")
    canonical = models.TextField("规范形式 / canonical form")
    holds = models.ManyToManyField(LegalHold, verbose_name="法律保全 / legal holds", related_name="held_entries")
    run = models.ForeignKey(RetentionRun, verbose_name="清理批次 / retention run", on_delete=models.PROTECT, related_name="held_entries")
    moved_at = models.DateTimeField("转入时间 / moved at", default=timezone.now)

    class Meta:
        verbose_name = "保全中的日志记录 / held network-log record"
        verbose_name_plural = "保全中的日志记录 / held network-log record"
        ordering = ["log_id"]

    def __str__(self) -> str:
        return f"log #{self.log_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M:%S}"


class Seal(models.Model):
    """One link of the network log's seal chain: the rows of one settled time slice, hashed in id order.

    ``ids`` and ``digests`` (8 bytes per row) only locate the first bad record; what proves the slice is ``rows_hash``
    (SHA-256 over the rows' full digests), bound with the slice, the counts and the previous seal's hash into
    ``hash`` and signed with the platform key. Seals are kept after their rows are purged, so the chain verifies.
    """

    seq = models.PositiveBigIntegerField("序号 / sequence", unique=True)
    slice_start = models.DateTimeField("时段起 / slice start", unique=True)
    slice_end = models.DateTimeField("时段止 / slice end")
    count = models.PositiveIntegerField("记录数 / records")
    first_id = models.BigIntegerField("首条 ID / first id", null=True, blank=True)
    last_id = models.BigIntegerField("末条 ID / last id", null=True, blank=True)
    columns = models.JSONField("列 / columns")
    ids = models.BinaryField("记录 ID / record ids")
    digests = models.BinaryField("定位摘要 / locators")
    rows_hash = models.CharField("记录哈希 / rows hash", max_length=64)
    prev_hash = models.CharField("前一哈希 / previous hash", max_length=64)
    hash = models.CharField("哈希 / hash", max_length=64, unique=True)
    signature = models.CharField("签名 / signature", max_length=100)
    key_id = models.CharField("密钥 ID / key id", max_length=16)
    sealed_at = models.DateTimeField("封存时间 / sealed at", default=timezone.now)

    class Meta:
        verbose_name = "日志封存段 / network-log seal"
        verbose_name_plural = "日志封存段 / network-log seal"
        ordering = ["-seq"]
        permissions = [("verify_seals", "Can run the network-log seal verification")]

    def __str__(self) -> str:
        return f"seal {self.seq} {self.slice_start:%Y-%m-%d %H:%M}-{self.slice_end:%H:%M} ({self.count})"


class SealVerification(models.Model):
    """The outcome of one verification of the whole seal chain against the log."""

    started_at = models.DateTimeField("开始 / started", default=timezone.now)
    finished_at = models.DateTimeField("结束 / finished", null=True, blank=True)
    ok = models.BooleanField("通过 / OK")
    seals = models.PositiveIntegerField("封存段 / seals", default=0)
    records = models.BigIntegerField("记录 / records", default=0)
    purged_seals = models.PositiveIntegerField("已清理段 / purged seals", default=0)
    unsealed_records = models.BigIntegerField("未封存记录 / unsealed records", default=0)
    first_problem = models.TextField("第一处问题 / first problem", blank=True)
    problems = models.JSONField("问题 / problems", default=list)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人 / requested by", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        verbose_name = "封存校验 / seal verification"
        verbose_name_plural = "封存校验 / seal verification"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'OK' if self.ok else 'FAILED'}"


class PackageFile(models.Model):
    """A row that a background package build fills (inspection exports, regulator reports, filing packages): the
    signed file it wrote (services/building.py ``package_file_record``), and, for builds with a progress bar,
    ``progress_percent`` over the model's own ``progress_done``/``progress_total``."""

    package_path = models.CharField("数据包路径 / package path", max_length=500, blank=True)
    package_sha256 = models.CharField("数据包 SHA-256 / package SHA-256", max_length=64, blank=True)
    package_size = models.BigIntegerField("数据包字节 / package bytes", default=0)

    class Meta:
        abstract = True

    @property
    def ready(self) -> bool:
        return self.status == "ready"  # InspectionStatus.READY and ReportStatus.READY alike

    @property
    def progress_percent(self) -> int:
        if self.ready:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0


class InspectionStatus(models.TextChoices):
    PENDING = "pending", "待第二人批准 / awaiting a second officer's approval"
    APPROVED = "approved", "已批准 / approved"
    REJECTED = "rejected", "已驳回 / rejected"
    EXPORTING = "exporting", "导出中 / exporting"
    READY = "ready", "可下载 / package ready"
    FAILED = "failed", "导出失败 / export failed"


class InspectionRequest(PackageFile):
    """A lawful request for data (G13a): who asks, on what document, for what; approved by a second officer."""

    authority = models.CharField("提出机关 / requesting authority", max_length=200)
    document_number = models.CharField("文书编号 / document number", max_length=100)
    legal_basis = models.CharField("法律依据 / legal basis", max_length=300, blank=True)
    reason = models.TextField("事由 / reason")
    user_ids = models.JSONField("用户 ID / user ids", default=list, blank=True)
    group_codes = models.JSONField("群号 / group codes", default=list, blank=True)
    starts_at = models.DateTimeField("起 / from", null=True, blank=True)
    ends_at = models.DateTimeField("止 / until", null=True, blank=True)
    status = models.CharField("状态 / status", max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.PENDING,
                              db_index=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人 / entered by", on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField("录入时间 / entered at", default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人 / decided by", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField("审批时间 / decided at", null=True, blank=True)
    decision_note = models.TextField("审批意见 / decision note", blank=True)
    progress_done = models.BigIntegerField("已完成 / done", default=0)
    progress_total = models.BigIntegerField("总数 / total", default=0)
    exported_at = models.DateTimeField("导出时间 / exported at", null=True, blank=True)
    error = models.TextField("错误 / error", blank=True)

    class Meta:
        verbose_name = "依法调取请求 / lawful inspection request"
        verbose_name_plural = "依法调取请求 / lawful inspection request"
        ordering = ["-entered_at"]
        permissions = [
            ("approve_inspectionrequest", "Can approve a lawful inspection request (not one's own)"),
            ("download_inspectionpackage", "Can download an inspection package (each download is recorded)"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.authority} {self.document_number} ({self.status})"


class InspectionDownload(models.Model):
    """Every download of an inspection package: who, when, from where."""

    request = models.ForeignKey(InspectionRequest, verbose_name="调取请求 / request", on_delete=models.PROTECT, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="用户 / user", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间 / at", default=timezone.now)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    package_sha256 = models.CharField("数据包 SHA-256 / package SHA-256", max_length=64)

    class Meta:
        verbose_name = "调取数据包下载记录 / inspection package download"
        verbose_name_plural = "调取数据包下载记录 / inspection package download"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} request {self.request_id} by user {self.user_id}"


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", "monthly / 月度"
    ON_DEMAND = "on_demand", "on demand / 临时"


class ReportStatus(models.TextChoices):
    BUILDING = "building", "生成中 / building"
    READY = "ready", "已生成 / ready"
    FAILED = "failed", "失败 / failed"


class RegulatorReport(PackageFile):
    """A report to the regulator for a period (G11 报告; the annual report is the year's twelve): measures taken,
    blacklist changes, complaints and handling times, held and blocked content by category, filing changes."""

    kind = models.CharField("类型 / kind", max_length=10, choices=ReportKind.choices)
    period_start = models.DateTimeField("期间起 / period start")
    period_end = models.DateTimeField("期间止 / period end")
    status = models.CharField("状态 / status", max_length=10, choices=ReportStatus.choices, default=ReportStatus.BUILDING)
    created_at = models.DateTimeField("创建时间 / created at", default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人 / created by", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    measures_count = models.PositiveIntegerField("措施数 / measures", default=0)
    error = models.TextField("错误 / error", blank=True)
    submitted_at = models.DateTimeField("报送时间 / submitted at", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人 / submitted by", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submission_reference = models.CharField("报送编号 / submission reference", max_length=120, blank=True)

    class Meta:
        verbose_name = "监管报告 / regulator report"
        verbose_name_plural = "监管报告 / regulator report"
        ordering = ["-period_end", "-pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "period_start"], condition=Q(kind="monthly"),
                                               name="one_monthly_report_per_month")]

    def __str__(self) -> str:
        return f"{self.kind} report {self.period_start:%Y-%m-%d} – {self.period_end:%Y-%m-%d}"


class ReportedMeasure(models.Model):
    """A measure's place in exactly one regulator report (the one-to-one makes a second impossible)."""

    measure = models.OneToOneField("moderation.Measure", verbose_name="措施 / measure", on_delete=models.PROTECT, related_name="reported_in")
    report = models.ForeignKey(RegulatorReport, verbose_name="报告 / report", on_delete=models.PROTECT, related_name="measures")

    class Meta:
        verbose_name = "已报告的措施 / measure in a regulator report"
        verbose_name_plural = "已报告的措施 / measure in a regulator report"

    def __str__(self) -> str:
        return f"measure {self.measure_id} in report {self.report_id}"


class FilingRecord(models.Model):
    """A version of the tiered management system (G7a, 备案): tiers, categories and caps as filed with the CAC.

    Made (unfiled) by every change of tiers, categories or grade caps, through the kernel's ``filing.changed`` hook;
    the officer marks it filed with the authority's number. The table moved here from groups (migration 0006)."""

    version = models.PositiveIntegerField("版本 / version", unique=True)
    snapshot = models.JSONField("快照 / snapshot")
    change_summary = models.CharField("变更摘要 / change summary", max_length=400, blank=True)
    created_at = models.DateTimeField("创建时间 / created at", default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人 / created by", null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    filed = models.BooleanField("已备案 / filed", default=False)
    filed_at = models.DateTimeField("备案时间 / filed at", null=True, blank=True)
    filing_number = models.CharField("备案编号 / filing number", max_length=80, blank=True,
                                     help_text="备案机关出具的编号 / the authority's acknowledgement number")
    authority = models.CharField("备案机关 / authority", max_length=80, blank=True, default="省级网信办")

    class Meta:
        verbose_name = "分级分类管理备案 / filing record"
        verbose_name_plural = "分级分类管理备案 / filing records"
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"filing v{self.version} ({'filed' if self.filed else 'NOT FILED'})"


class FilingPackage(PackageFile):
    """One build of the filing package (备案材料) for a filing version, from the live configuration; built in the
    background with its progress, downloaded from the admin (every build and download is in the network log)."""

    filing = models.ForeignKey(FilingRecord, verbose_name="备案版本 / filing version", on_delete=models.PROTECT,
                               related_name="packages")
    status = models.CharField("状态 / status", max_length=10, choices=ReportStatus.choices,
                              default=ReportStatus.BUILDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人 / requested by", null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("发起时间 / requested at", default=timezone.now)
    built_at = models.DateTimeField("生成时间 / built at", null=True, blank=True)
    progress_done = models.PositiveIntegerField("已完成 / done", default=0)
    progress_total = models.PositiveIntegerField("总数 / total", default=0)
    error = models.TextField("错误 / error", blank=True)

    class Meta:
        verbose_name = "备案材料 / filing package"
        verbose_name_plural = "备案材料 / filing packages"
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"filing package #{self.pk} ({self.status})"
