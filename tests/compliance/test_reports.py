"""Regulator reports (G11a-c 报告): every measure flagged for reporting lands in exactly one report; the report holds
measures, blacklist changes, complaints, content counts by category and filing changes; its submission is recorded."""

from __future__ import annotations

import csv
import json
import threading
import zipfile
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.utils import timezone

from compliance.models import RegulatorReport, ReportedMeasure
from compliance.packages import verify_package
from compliance.services.reports import (
    regulator_report_create,
    regulator_report_monthly,
    regulator_report_submit,
)
from groupchat.core.errors import ApplicationError
from moderation.measures import measure_issue
from moderation.models import BlockedAttempt, Measure

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _measures(group, alice, bob, officer):
    warning = measure_issue(kind="warning", operator=officer, reason_code="ILL-08", target_group=group,
                            until=timezone.now() + timedelta(days=3), reason="散布谣言")
    credit = measure_issue(kind="credit_down", operator=officer, reason_code="HARM-07", target_user=alice)
    blacklist = measure_issue(kind="blacklist", operator=officer, reason_code="ILL-09", target_user=bob,
                              until=timezone.now() + timedelta(days=30))
    quiet = measure_issue(kind="credit_down", operator=officer, reason_code="HARM-07", target_user=alice,
                          report=False)
    return warning, credit, blacklist, quiet


@pytest.mark.clause("G11a")
@pytest.mark.clause("G11b")
@pytest.mark.clause("G11c")
def test_every_flagged_measure_is_in_exactly_one_report(officer, group, alice, bob):
    warning, credit, blacklist, quiet = _measures(group, alice, bob, officer)
    now = timezone.now()
    first = regulator_report_create(period_start=now - timedelta(days=30), period_end=now + timedelta(seconds=1),
                                    actor=officer)
    late = measure_issue(kind="revoke_create", operator=officer, reason_code="ILL-08", target_user=alice)
    second = regulator_report_create(period_start=now - timedelta(days=30), period_end=timezone.now() + timedelta(
        seconds=1), actor=officer)
    third = regulator_report_create(period_start=now, period_end=timezone.now() + timedelta(seconds=2), actor=officer)
    assert set(first.measures.values_list("measure_id", flat=True)) == {warning.pk, credit.pk, blacklist.pk}
    assert set(second.measures.values_list("measure_id", flat=True)) == {late.pk}
    assert third.measures_count == 0
    flagged = set(Measure.objects.filter(report=True).values_list("id", flat=True))
    claimed = list(ReportedMeasure.objects.values_list("measure_id", flat=True))
    assert sorted(claimed) == sorted(flagged) and quiet.pk not in claimed


@pytest.mark.clause("G11a")
@pytest.mark.django_db(transaction=True)
def test_two_reports_made_at_once_never_share_a_measure(officer, group, alice, bob):
    _measures(group, alice, bob, officer)
    end = timezone.now() + timedelta(seconds=1)
    errors: list[BaseException] = []

    def make():
        try:
            regulator_report_create(period_start=end - timedelta(days=1), period_end=end)
        except BaseException as exc:  # reported below, from the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=make) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    counts = sorted(RegulatorReport.objects.values_list("measures_count", flat=True))
    assert counts == [0, 3]


@pytest.mark.clause("G11c")
def test_the_package_holds_every_part_and_verifies(officer, group, alice, bob):
    _, _, blacklist, _ = _measures(group, alice, bob, officer)
    now = timezone.now()
    # Screening writes its evidence on its own connection, so other tests' rows may be in the period: count ours on top.
    before = Counter(BlockedAttempt.objects.filter(created_at__gte=now - timedelta(days=1))
                     .values_list("category", flat=True))
    for category in ("ILL-09", "ILL-09", "ILL-05"):  # what screening refused in the period, as evidence
        BlockedAttempt.objects.create(sender=alice, body="……", category=category)
    report = regulator_report_create(period_start=now - timedelta(days=1), period_end=now + timedelta(seconds=1),
                                     actor=officer)
    assert report.status == "ready"
    assert verify_package(report.package_path).ok
    with zipfile.ZipFile(report.package_path) as archive:
        names = set(archive.namelist())
        measures = json.loads(archive.read("data/measures.json"))
        blacklist_csv = archive.read("data/blacklist_changes.csv").decode("utf-8-sig")
        by_category = archive.read("data/content_by_category.csv").decode("utf-8-sig").splitlines()
        complaints = json.loads(archive.read("data/complaints.json"))
        html = archive.read("document.html").decode()
    assert {"data/measures.csv", "data/content_by_category.csv", "data/filing_changes.csv"} <= names
    assert len(measures) == 3 and f"\n{blacklist.pk}," in blacklist_csv
    blocked = {row[0]: int(row[2]) for row in csv.reader(by_category[1:])}
    assert blocked == dict(before + Counter({"ILL-09": 2, "ILL-05": 1}))
    assert {"received", "handled", "median_hours", "within_sla_share"} <= set(complaints)
    assert "处置措施" in html and "Blacklist changes" in html


@pytest.mark.clause("G11a")
def test_the_monthly_report_is_made_once_for_last_month(officer, group, alice, bob):
    now = datetime(2026, 12, 3, 6, 30, tzinfo=SHANGHAI)
    report = regulator_report_monthly(now=now)
    assert report.period_start == datetime(2026, 11, 1, tzinfo=SHANGHAI)
    assert report.period_end == datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert regulator_report_monthly(now=now + timedelta(hours=1)) is None
    assert RegulatorReport.objects.count() == 1


@pytest.mark.clause("G11a")
def test_the_submission_is_recorded_once(officer, bob):
    now = timezone.now()
    report = regulator_report_create(period_start=now - timedelta(days=1), period_end=now, actor=officer)
    with pytest.raises(ApplicationError) as err:
        regulator_report_submit(actor=bob, report_id=report.pk, reference="x")
    assert err.value.code == "permission_denied"
    submitted = regulator_report_submit(actor=officer, report_id=report.pk, reference="网信报〔2026〕12")
    assert submitted.submitted_at is not None and submitted.submitted_by == officer
    with pytest.raises(ApplicationError) as err:
        regulator_report_submit(actor=officer, report_id=report.pk, reference="again")
    assert err.value.code == "report_already_submitted"
