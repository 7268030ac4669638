"""Compliance reads: the officer's dashboard figures and the log look-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.db import connection
from django.utils import timezone

from groupchat.core.models import LogEntry

from . import conf
from .log_months import DEFAULT, month_add, month_of_name, partition_pattern, partitioned
from .models import (
    FilingRecord,
    HeldLogEntry,
    InspectionRequest,
    InspectionStatus,
    LegalHold,
    RegulatorReport,
    ReportKind,
    RetentionRun,
    Seal,
    SealVerification,
)


@dataclass
class Dashboard:
    retention_days: int
    floor_days: int
    oldest_record_at: datetime | None
    cutoff_now: datetime
    due_for_purge: int
    next_purge_at: datetime | None
    last_run: RetentionRun | None
    active_holds: int
    held_records: int
    seals: int
    sealed_until: datetime | None
    unsealed_records: int
    last_verification: SealVerification | None
    inspections_pending: int
    inspections_exporting: int
    inspections_ready: int
    reports_unsubmitted: int
    last_month_report: RegulatorReport | None  # None: last month's report has not been made yet (it is due)
    complaints: Any  # complaints' ComplaintStatistics for the last 30 days
    unfiled_filing: FilingRecord | None  # the newest filing version when it has not been filed


def _next_run(entry: str, now: datetime) -> datetime | None:
    """When the beat runs ``entry`` next (from the one schedule in groupchat/celery.py)."""
    schedule = (current_app.conf.beat_schedule or {}).get(entry, {}).get("schedule")
    if schedule is None:
        return None
    if isinstance(schedule, (int, float)):
        return now + timedelta(seconds=schedule)
    return now + schedule.remaining_estimate(now)


def dashboard(*, now: datetime | None = None) -> Dashboard:
    from complaints.selectors import complaint_statistics_recent

    from .services.reports import last_month_start
    from .services.retention import purge_before, retention_cutoff

    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    last_seal = Seal.objects.order_by("-seq").only("slice_end").first()
    sealed_until = last_seal.slice_end if last_seal else None
    unsealed = LogEntry.objects.filter(created_at__gte=sealed_until).count() if sealed_until else LogEntry.objects.count()
    return Dashboard(
        retention_days=conf.retention_days(), floor_days=conf.LEGAL_FLOOR_DAYS,
        oldest_record_at=LogEntry.objects.order_by("created_at").values_list("created_at", flat=True).first(),
        cutoff_now=cutoff, due_for_purge=LogEntry.objects.filter(created_at__lt=purge_before(cutoff)).count(),
        next_purge_at=_next_run("compliance-retention-sweep", now),
        last_run=RetentionRun.objects.order_by("-started_at").first(),
        active_holds=holds_active_count(),
        held_records=HeldLogEntry.objects.count(),
        seals=Seal.objects.count(), sealed_until=sealed_until, unsealed_records=unsealed,
        last_verification=SealVerification.objects.order_by("-started_at").first(),
        inspections_pending=inspections_pending_count(),
        inspections_exporting=InspectionRequest.objects.filter(
            status__in=[InspectionStatus.APPROVED, InspectionStatus.EXPORTING]).count(),
        inspections_ready=InspectionRequest.objects.filter(status=InspectionStatus.READY).count(),
        reports_unsubmitted=reports_unsubmitted_count(),
        last_month_report=RegulatorReport.objects.filter(kind=ReportKind.MONTHLY,
                                                         period_start=last_month_start(now)).first(),
        complaints=complaint_statistics_recent(days=30, now=now),
        unfiled_filing=filing_unfiled(),
    )


def inspections_pending_count() -> int:
    return InspectionRequest.objects.filter(status=InspectionStatus.PENDING).count()


def holds_active_count() -> int:
    return LegalHold.objects.active().count()


def seal_failures_count() -> int:
    """1 when the latest verification failed (the panel's badge turns red), else 0."""
    last = SealVerification.objects.order_by("-started_at").only("ok").first()
    return int(last is not None and not last.ok)


def reports_unsubmitted_count() -> int:
    return RegulatorReport.objects.filter(submitted_at__isnull=True).count()


def filing_unfiled() -> FilingRecord | None:
    """The newest filing version when it has not been filed (the admin alerts, the dashboard shows it)."""
    latest = FilingRecord.objects.order_by("-version").first()
    return latest if latest is not None and not latest.filed else None


def filings_unfiled_count() -> int:
    """1 while the newest filing version is unfiled (the panel's badge), else 0."""
    return int(filing_unfiled() is not None)


def filing_pending(**_: Any) -> str | None:
    """Hook ``filing.pending``: the warning on every page of the filed tier system while a version is unfiled."""
    unfiled = filing_unfiled()
    if unfiled is None:
        return None
    return (f"The tiered management system changed (version {unfiled.version}: {unfiled.change_summary}) and this "
            "version has not been filed with the authority. File it, then mark the filing record filed. "
            f"/ 分级分类管理制度已变更（第{unfiled.version}版）但尚未备案：请备案后在备案记录中填写备案编号。")


# --- the network log's monthly partitions (PostgreSQL) -------------------------------------------------------------
@dataclass(frozen=True)
class LogPartition:
    name: str
    start: datetime | None  # None: the default partition (rows no month partition covers)
    end: datetime | None
    rows_estimate: int | None  # the planner's estimate (ANALYZE); None until the table was first analyzed
    attached: bool = True

    @property
    def default(self) -> bool:
        return self.start is None


def log_partitions() -> list[LogPartition]:
    """The log's partitions, oldest month first, the default partition last; plus month tables left detached but not
    yet dropped by an interrupted sweep (``attached=False``). Empty on SQLite and before the migration."""
    if not partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.relname, c.reltuples::bigint, c.relispartition
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind = 'r' AND (c.relname = %s OR c.relname ~ %s)
        """, [DEFAULT, partition_pattern()])
        found = cursor.fetchall()
    parts = []
    for name, tuples, attached in found:
        start = month_of_name(name)
        parts.append(LogPartition(name=name, start=start, end=month_add(start, 1) if start else None,
                                  rows_estimate=tuples if tuples >= 0 else None, attached=attached))
    return sorted(parts, key=lambda p: (p.start is None, p.start or datetime.min, p.name))
