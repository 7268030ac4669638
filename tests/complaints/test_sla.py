"""Deadlines (REGULATION §5.10): urgent within the hour; others triaged within 24 hours, decided within 3 working
days, where working days skip weekends and the holiday table, and count weekend days worked in exchange (调休)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from complaints.models import Holiday
from complaints.sla import add_working_days, deadlines_for

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.mark.clause("G12")
@pytest.mark.parametrize("start,expected", [
    (at(2026, 12, 7), at(2026, 12, 10)),  # Monday -> Thursday
    (at(2026, 12, 10), at(2026, 12, 15)),  # Thursday -> Tuesday, over the weekend
    (at(2026, 12, 11, 23, 30), at(2026, 12, 16, 23, 30)),  # Friday night -> Wednesday night
    (at(2026, 12, 12, 15), at(2026, 12, 17, 0)),  # Saturday: counts from Monday 00:00 -> end of Wednesday
    (at(2026, 12, 13, 9), at(2026, 12, 17, 0)),  # Sunday: the same
])
def test_working_days_skip_weekends(start, expected):
    assert add_working_days(start, 3) == expected


@pytest.mark.clause("G12")
def test_working_days_skip_holidays_and_count_weekend_days_worked_in_exchange():
    # National Day 2026: Oct 1-7 off; Saturday Oct 10 is a working day in exchange (调休).
    for day in range(1, 8):
        Holiday.objects.create(date=date(2026, 10, day), name="国庆节")
    Holiday.objects.create(date=date(2026, 10, 10), name="国庆节调休", working=True)
    # Tuesday Sep 29 -> Wed Sep 30 (1), Thu Oct 8 (2), Fri Oct 9 (3).
    assert add_working_days(at(2026, 9, 29), 3) == at(2026, 10, 9)
    # Filed during the holiday: counts from Thursday Oct 8 00:00: Oct 8, 9, Sat 10 (worked) -> end of Oct 10.
    assert add_working_days(at(2026, 10, 3, 12), 3) == at(2026, 10, 11, 0)
    # A single holiday on a Monday moves Friday's deadline a day later.
    Holiday.objects.create(date=date(2026, 12, 14), name="测试假日")
    assert add_working_days(at(2026, 12, 11), 3) == at(2026, 12, 17)


@pytest.mark.clause("G12")
def test_urgent_reports_are_due_within_the_hour_others_by_the_working_day_rule():
    filed = at(2026, 12, 11, 16)  # a Friday afternoon
    urgent = deadlines_for(filed_at=filed, urgent=True)
    assert urgent.triage_due == urgent.decide_due == at(2026, 12, 11, 17)
    normal = deadlines_for(filed_at=filed, urgent=False)
    assert normal.triage_due == at(2026, 12, 12, 16)  # 24 calendar hours
    assert normal.decide_due == at(2026, 12, 16, 16)


def test_deadlines_follow_the_settings(settings):
    settings.COMPLAINTS = {"URGENT_HOURS": 2, "TRIAGE_HOURS": 12, "DECIDE_WORKING_DAYS": 5}
    filed = at(2026, 12, 7)
    assert deadlines_for(filed_at=filed, urgent=True).decide_due == at(2026, 12, 7, 12)
    normal = deadlines_for(filed_at=filed, urgent=False)
    assert normal.triage_due == at(2026, 12, 7, 22) and normal.decide_due == at(2026, 12, 14)
