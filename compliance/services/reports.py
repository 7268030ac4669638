"""Regulator reports (G11 报告; 内容生态治理规定 Art 17's annual report is the twelve monthly ones).

A report covers a period: measures taken (every measure flagged for reporting that no earlier report holds, so a
late one is never lost), blacklist changes, complaints and handling times, held and blocked content counts by
category, and filing changes. Each measure is claimed by exactly one report (``ReportedMeasure``'s one-to-one), in
the same transaction that creates the report; the package is then built from what the report claimed, so a failed
build is retried without claiming anything twice. The report records when, by whom and under what reference it was
submitted.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from complaints.selectors import complaint_statistics
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.origin import Origin
from moderation.categories import CATEGORIES
from moderation.models import BlockedAttempt, FlaggedItem, HeldMessage, Measure, MeasureKind

from ..models import FilingRecord, RegulatorReport, ReportedMeasure, ReportKind, ReportStatus
from ..packages import PackageWriter, Section, package_path
from .building import package_building, package_file_record
from .permissions import require_perm

log = logging.getLogger(__name__)
_REPORT_LOCK = 0x47430003

MEASURE_COLUMNS = ["id", "created_at", "kind", "change", "amends_id", "target_type", "target_group__code",
                   "target_user_id", "target_identity", "reason_code", "basis_citation", "starts_at", "ends_at",
                   "operator_id", "evidence_sha256", "source"]


def regulator_report_create(*, period_start: datetime, period_end: datetime, kind: str = ReportKind.ON_DEMAND,
                            actor: User | None = None, origin: Origin | None = None) -> RegulatorReport:
    """Create a report for ``[period_start, period_end)``, claim its measures, build its package.

    Side effects: ``RegulatorReport`` and ``ReportedMeasure`` rows; the signed package file; network-log record
    ``compliance.report.create``. Needs ``compliance.add_regulatorreport`` when an officer asks (the beat does not).
    """
    require_perm(actor, "compliance.add_regulatorreport")
    if period_end <= period_start:
        raise ApplicationError("bad_time_range")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # two reports being made at once claim one after the other
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REPORT_LOCK])
        report = RegulatorReport.objects.create(kind=kind, period_start=period_start, period_end=period_end,
                                                created_by=actor)
        due = (Measure.objects.filter(report=True, created_at__lt=period_end, reported_in__isnull=True)
               .order_by("id").values_list("id", flat=True))
        ReportedMeasure.objects.bulk_create([ReportedMeasure(measure_id=m, report=report) for m in due])
        report.measures_count = report.measures.count()
        report.save(update_fields=["measures_count"])
        record("compliance.report.create", actor_id=actor.pk if actor else None, origin=origin,
               data={"report": report.pk, "kind": kind, "period_start": period_start.isoformat(),
                     "period_end": period_end.isoformat(), "measures": report.measures_count})
    return regulator_report_build(report_id=report.pk)


def _by_category(model, start: datetime, end: datetime) -> Counter:
    rows = (model.objects.filter(created_at__gte=start, created_at__lt=end).values("category")
            .annotate(n=Count("pk")))
    return Counter({r["category"] or "-": r["n"] for r in rows})


_NAMES = {c.code: f"{c.zh} / {c.en} ({c.report_type.label})" for c in CATEGORIES}


def _category_name(code: str) -> str:
    return _NAMES.get(code, code)


def regulator_report_build(*, report_id: int) -> RegulatorReport:
    """(Re)build the package of a report from the measures it claimed. Side effects: the package file."""
    report = RegulatorReport.objects.get(pk=report_id)
    start, end = report.period_start, report.period_end
    path = package_path("report", report.pk)
    writer = PackageWriter(path, kind="regulator-report", title_zh="互联网群组信息服务管理情况报告",
                           title_en="Report to the regulator on group information services",
                           meta={"report": report.pk, "period_start": start.isoformat(), "period_end": end.isoformat(),
                                 "operator": settings.OPERATOR_NAME})
    with package_building(writer, row=RegulatorReport.objects.filter(pk=report.pk), failed=ReportStatus.FAILED):
        measures = list(Measure.objects.filter(reported_in__report=report).order_by("id").values_list(*MEASURE_COLUMNS))
        writer.write_csv("data/measures.csv", MEASURE_COLUMNS, measures)
        writer.write_json_array("data/measures.json", (dict(zip(MEASURE_COLUMNS, m, strict=True)) for m in measures))
        blacklist = [m for m in measures if m[2] == MeasureKind.BLACKLIST]
        writer.write_csv("data/blacklist_changes.csv", MEASURE_COLUMNS, blacklist)
        stats = complaint_statistics(since=start, until=end)
        complaints = {"received": stats.received, "handled": stats.handled, "median_hours": stats.median_hours,
                      "p90_hours": stats.p90_hours, "within_sla_share": stats.within_sla_share,
                      "by_month_and_category": [{"month": r.month.isoformat(), "category": r.category,
                                                 "received": r.received, "handled": r.handled} for r in stats.rows]}
        writer.write_json("data/complaints.json", complaints)
        blocked, held, flagged = (_by_category(BlockedAttempt, start, end), _by_category(HeldMessage, start, end),
                                  _by_category(FlaggedItem, start, end))
        categories = sorted(set(blocked) | set(held) | set(flagged))
        content_rows = [[c, _category_name(c), blocked[c], held[c], flagged[c]] for c in categories]
        writer.write_csv("data/content_by_category.csv", ["category", "name", "blocked", "held", "flagged"],
                         content_rows)
        filings = list(FilingRecord.objects.filter(created_at__gte=start, created_at__lt=end).order_by("version")
                       .values_list("version", "created_at", "change_summary", "filed", "filed_at", "filing_number"))
        writer.write_csv("data/filing_changes.csv", ["version", "created_at", "change_summary", "filed", "filed_at",
                                                     "filing_number"], filings)
        kinds = Counter((m[2], m[3]) for m in measures)
        earlier = sum(1 for m in measures if m[1] < start)
        writer.add_section(Section(
            "处置措施", "Measures taken",
            paragraphs=[f"共 {len(measures)} 项（其中 {earlier} 项作出于本期之前、此前未报告）。/ {len(measures)} in total "
                        f"({earlier} taken before this period and not reported before)."],
            headers=["措施 / Measure", "变更 / Change", "数量 / Count"],
            rows=[[MeasureKind(k).label if k in MeasureKind.values else k, c, n] for (k, c), n in sorted(kinds.items())]))
        writer.add_section(Section("黑名单变更", "Blacklist changes",
                                   headers=["ID", "时间 / When", "变更 / Change", "对象 / Target"],
                                   rows=[[m[0], m[1], m[3], m[6] or m[7] or (m[8][:8] + "…")] for m in blacklist]))
        writer.add_section(Section(
            "投诉举报处理", "Complaints and their handling",
            headers=["项目 / Item", "数值 / Value"],
            rows=[["收到 / received", stats.received], ["已处理 / handled", stats.handled],
                  ["处理时长中位数（小时）/ median hours", stats.median_hours],
                  ["90% 处理时长（小时）/ 90th percentile hours", stats.p90_hours],
                  ["按时处理比例 / within SLA", stats.within_sla_share]]))
        writer.add_section(Section("违法和不良信息处置（按类别）", "Held and blocked content by category",
                                   headers=["类别 / Category", "拦截 / Blocked", "待审 / Held", "标记 / Flagged"],
                                   rows=[[r[1], r[2], r[3], r[4]] for r in content_rows]))
        writer.add_section(Section("备案变更", "Filing changes",
                                   headers=["版本 / Version", "时间 / When", "摘要 / Summary", "已备案 / Filed",
                                            "备案号 / Number"],
                                   rows=[[f[0], f[1], f[2], f[3], f[5]] for f in filings]))
    report.status, report.error = ReportStatus.READY, ""
    report.save(update_fields=["status", "error", *package_file_record(report, path)])
    return report


def _month_start(at: datetime) -> datetime:
    local = at.astimezone(ZoneInfo(settings.TIME_ZONE))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def last_month_start(now: datetime) -> datetime:
    return _month_start(_month_start(now) - timedelta(days=1))


def regulator_report_monthly(*, now: datetime | None = None) -> RegulatorReport | None:
    """The previous calendar month's report (Beijing time), once: None when it exists already."""
    this_month = _month_start(now or timezone.now())
    last_month = last_month_start(this_month)
    if RegulatorReport.objects.filter(kind=ReportKind.MONTHLY, period_start=last_month).exists():
        return None
    try:
        return regulator_report_create(period_start=last_month, period_end=this_month, kind=ReportKind.MONTHLY)
    except IntegrityError:  # another beat made it at the same moment
        return None


@transaction.atomic
def regulator_report_submit(*, actor: User, report_id: int, reference: str,
                            origin: Origin | None = None) -> RegulatorReport:
    """Record that a report was submitted to the regulator, with the submission's reference.

    Side effects: network-log record ``compliance.report.submit``. Needs ``compliance.change_regulatorreport``.
    """
    require_perm(actor, "compliance.change_regulatorreport")
    report = RegulatorReport.objects.select_for_update().get(pk=report_id)
    if report.status != ReportStatus.READY:
        raise ApplicationError("package_not_ready")
    if report.submitted_at is not None:
        raise ApplicationError("report_already_submitted")
    report.submitted_at, report.submitted_by = timezone.now(), actor
    report.submission_reference = (reference or "").strip()[:120]
    report.save(update_fields=["submitted_at", "submitted_by", "submission_reference"])
    record("compliance.report.submit", actor_id=actor.pk, origin=origin,
           data={"report": report.pk, "reference": report.submission_reference, "sha256": report.package_sha256})
    return report
