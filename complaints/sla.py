"""Deadlines (REGULATION §5.10): urgent reports within the hour; others triaged within 24 hours and decided within
3 working days. Working days skip weekends and the admin's holiday table, which also marks weekend days worked
in exchange (调休). Days are counted in the project's time zone (Asia/Shanghai).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from .conf import conf
from .models import OPEN_STATUSES, Holiday


@dataclass(frozen=True)
class Deadlines:
    triage_due: datetime
    decide_due: datetime


class WorkingCalendar:
    """Which dates are working days: Monday-Friday, except holidays; plus weekend days marked working."""

    def __init__(self, start: date, end: date) -> None:
        rows = Holiday.objects.filter(date__gte=start, date__lte=end).values_list("date", "working")
        self._override = dict(rows)

    def is_working(self, day: date) -> bool:
        if day in self._override:
            return self._override[day]
        return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days: the same local time on the ``days``-th working day after it.

    A start on a day off counts the next working day whole, so a report filed on Saturday is due at the end of the
    third working day after the weekend.
    """
    tz = timezone.get_current_timezone()
    local = timezone.localtime(start, tz)
    # Holidays cluster (Spring Festival is 8-9 days off): a span of a month covers any run of days off.
    calendar = WorkingCalendar(local.date(), local.date() + timedelta(days=days * 3 + 31))
    day = local.date()
    if not calendar.is_working(day):
        # Filed on a day off: the first working day counts whole, and the deadline is the end of the last one.
        while not calendar.is_working(day):
            day += timedelta(days=1)
        for _ in range(days - 1):
            day += timedelta(days=1)
            while not calendar.is_working(day):
                day += timedelta(days=1)
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time(0, 0)), tz)
    clock = local.time()
    for _ in range(days):
        day += timedelta(days=1)
        while not calendar.is_working(day):
            day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, clock), tz)


def deadlines_for(*, filed_at: datetime, urgent: bool) -> Deadlines:
    if urgent:
        due = filed_at + timedelta(hours=conf("URGENT_HOURS"))
        return Deadlines(triage_due=due, decide_due=due)
    return Deadlines(triage_due=filed_at + timedelta(hours=conf("TRIAGE_HOURS")),
                     decide_due=add_working_days(filed_at, conf("DECIDE_WORKING_DAYS")))


def stages(case) -> list[tuple[str, datetime]]:
    """The deadlines an open case is still held to: triage while it is new, the decision until it is decided."""
    out = [("decide", case.decide_due)]
    if case.status == "new":
        out.insert(0, ("triage", case.triage_due))
    return out


def nearing_at(*, created_at: datetime, due_at: datetime) -> datetime:
    """From when a stage counts as nearing its deadline: the last ``NEARING_SHARE`` of its window."""
    return due_at - (due_at - created_at) * conf("NEARING_SHARE")


def next_check(case, *, after: datetime | None = None) -> datetime | None:
    """The case's next nearing-or-due moment after ``after``; with ``after=None`` its earliest one (possibly past,
    so the sweep looks again after its deadlines changed). None when the case is closed or nothing is left."""
    if case.status not in OPEN_STATUSES:
        return None
    moments = [m for _, due in stages(case) for m in (nearing_at(created_at=case.created_at, due_at=due), due)]
    if after is not None:
        moments = [m for m in moments if m > after]
    return min(moments, default=None)
