"""Reads of the complaints app: a reporter's own reports, the moderators' queue counts, the evidence check, and
the public handling statistics (``complaint_statistics``, which compliance reuses in the regulator report)."""

from __future__ import annotations

import statistics as stats
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import User
from groupchat.core.errors import ApplicationError

from .evidence import digest
from .models import OPEN_STATUSES, Case, Complaint, Escalation


def complaint_list_for_reporter(*, reporter: User, before_id: int | None = None, limit: int = 50) -> list[Complaint]:
    """The reporter's own tickets, newest first, keyset-paged by id. Never includes anyone else's."""
    rows = Complaint.objects.filter(reporter=reporter).select_related("case")
    if before_id:
        rows = rows.filter(pk__lt=before_id)
    return list(rows.order_by("-pk")[:limit])


def complaint_get_for_reporter(*, reporter: User, number: str) -> Complaint:
    complaint = Complaint.objects.select_related("case").filter(reporter=reporter, number=number).first()
    if complaint is None:
        raise ApplicationError("complaint_not_found")
    return complaint


def evidence_intact(complaint: Complaint) -> bool:
    """Whether the stored snapshot still hashes to the SHA-256 taken when it was frozen."""
    return digest(complaint.evidence.snapshot) == complaint.evidence.sha256


@dataclass(frozen=True)
class QueueCounts:
    open: int
    new: int
    priority: int
    urgent: int
    nearing: int
    overdue: int


def queue_counts() -> QueueCounts:
    """The moderators' home badges, in one query."""
    # Only open cases are read (the status index), however many decided ones the years pile up.
    row = Case.objects.filter(status__in=OPEN_STATUSES).aggregate(
        open=Count("pk"), new=Count("pk", filter=Q(status="new")), priority=Count("pk", filter=Q(priority=True)),
        urgent=Count("pk", filter=Q(urgent=True)), nearing=Count("pk", filter=Q(escalation=Escalation.NEARING)),
        overdue=Count("pk", filter=Q(escalation=Escalation.OVERDUE)))
    return QueueCounts(**row)


@dataclass(frozen=True)
class MonthCategoryRow:
    month: date  # first day of the month (Asia/Shanghai)
    category: str  # moderation.categories code
    received: int  # reports filed in the month
    handled: int  # of those, decided so far


@dataclass(frozen=True)
class ComplaintStatistics:
    """Public complaint-handling figures for a period (REGULATION G12; the regulator report reuses them).

    ``rows`` counts reports by the month they were filed and category. Handling time runs from a report's filing
    to its case's decision, over the reports decided so far; ``within_sla_share`` is the share of those decided
    by their own deadline (None when none was decided). Times are in hours.
    """

    since: datetime
    until: datetime
    received: int
    handled: int
    median_hours: float | None
    p90_hours: float | None
    within_sla_share: float | None
    rows: list[MonthCategoryRow] = field(default_factory=list)


class _Percentile(Aggregate):
    """PostgreSQL's ``percentile_cont``: linear interpolation between ranks, as ``statistics.quantiles``'
    inclusive method."""

    function = "percentile_cont"
    template = "percentile_cont(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, *, fraction: float) -> None:
        super().__init__(expression, fraction=float(fraction))


def _percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return stats.quantiles(values, n=100, method="inclusive")[q - 1]


def complaint_statistics(*, since: datetime, until: datetime) -> ComplaintStatistics:
    """Figures over reports filed in ``[since, until)``; see ``ComplaintStatistics``."""
    filed = Complaint.objects.filter(created_at__gte=since, created_at__lt=until)
    grouped = (filed.annotate(month=TruncMonth("created_at", tzinfo=timezone.get_current_timezone()))
               .values("month", "category")
               .annotate(received=Count("pk"), handled=Count("pk", filter=Q(decided_at__isnull=False)))
               .order_by("month", "category"))
    rows = [MonthCategoryRow(month=r["month"].date() if isinstance(r["month"], datetime) else r["month"],
                             category=r["category"], received=r["received"], handled=r["handled"])
            for r in grouped]
    decided = filed.filter(decided_at__isnull=False)
    if connection.vendor == "postgresql":
        # In the database: a year of reports is tens of thousands of rows, not worth carrying into Python.
        hours = Func(F("decided_at") - F("created_at"), template="EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0",
                     output_field=FloatField())
        agg = decided.aggregate(n=Count("pk"), within=Count("pk", filter=Q(decided_at__lte=F("decide_due"))),
                                median=_Percentile(hours, fraction=0.5), p90=_Percentile(hours, fraction=0.9))
        n, within, median, p90 = agg["n"], agg["within"], agg["median"], agg["p90"]
    else:
        times = list(decided.values_list("created_at", "decided_at", "decide_due"))
        values = sorted((d - c).total_seconds() / 3600 for c, d, _ in times)
        n, within = len(times), sum(1 for _, d, due in times if d <= due)
        median, p90 = (stats.median(values) if values else None), _percentile(values, 90)
    return ComplaintStatistics(
        since=since, until=until, received=sum(r.received for r in rows), handled=n,
        median_hours=median, p90_hours=p90, within_sla_share=(within / n) if n else None, rows=rows)


def complaint_statistics_recent(*, days: int = 365, now: datetime | None = None) -> ComplaintStatistics:
    """``complaint_statistics`` over the last ``days`` days (the public page and API)."""
    until = now or timezone.now()
    return complaint_statistics(since=until - timedelta(days=days), until=until)


STATISTICS_CACHE_KEY = "complaints:statistics:365d"
STATISTICS_CACHE_SECONDS = 300


def complaint_statistics_public() -> ComplaintStatistics:
    """The public page's and API's figures (the last 365 days), computed at most every five minutes: the page needs
    no login, and a year of reports is not counted again for every visitor."""
    return cache.get_or_set(STATISTICS_CACHE_KEY, complaint_statistics_recent, STATISTICS_CACHE_SECONDS)


def evidence_candidates(*, reporter: User, target, limit: int = 20) -> list:
    """Messages the reporter may add as further evidence: for a message, those around it; for a group they belong
    to, its latest ones. Only visible (not removed) text messages of groups the reporter belongs to."""
    from groups.models import Message

    from .targets import is_member

    group = target.group
    if group is None or not is_member(reporter, group):
        return []
    rows = Message.objects.select_related("sender").filter(group=group, kind="text", removed_at__isnull=True)
    if target.message is not None:
        seq = target.message.seq
        rows = rows.filter(seq__gte=seq - limit // 2, seq__lte=seq + limit // 2).exclude(pk=target.message.pk)
        return list(rows.order_by("seq"))
    return list(reversed(rows.order_by("-seq")[:limit]))


def statistics_by_category(figures: ComplaintStatistics) -> list[dict]:
    """The period's totals per category, largest first, with the plain-words name (for the page's table)."""
    from .categories import plain_name

    totals: dict[str, list[int]] = {}
    for row in figures.rows:
        pair = totals.setdefault(row.category, [0, 0])
        pair[0] += row.received
        pair[1] += row.handled
    return [{"code": code, "name": plain_name(code), "received": r, "handled": h}
            for code, (r, h) in sorted(totals.items(), key=lambda kv: -kv[1][0])]
