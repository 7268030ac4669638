"""The network log's seal chain (G13b): a changed, removed, inserted or reordered record is named; seals outlive
the purge."""

from __future__ import annotations

import io
from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from compliance.models import HeldLogEntry, Seal, SealVerification
from compliance.services.holds import legal_hold_create
from compliance.services.retention import retention_sweep_run
from compliance.services.seals import seal_settled, seals_verify, unpack_ids
from groupchat.core.models import LogEntry

from .conftest import NOW

pytestmark = pytest.mark.django_db
T0 = NOW - timedelta(days=1)
TABLE = LogEntry._meta.db_table


def _bypass(sql: str, params=()) -> None:
    """What someone with the database's keys could do: open the trigger's door and edit the log by hand."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('groupchat.purge', 'on', true)")
        cursor.execute(sql, params)
        cursor.execute("SELECT set_config('groupchat.purge', 'off', true)")


@pytest.fixture
def sealed(log_at):
    """Twelve records over three busy minutes with quiet stretches between, all sealed."""
    rows = []
    for minute in (0, 1, 7):
        for n in range(4):
            rows.append(log_at(T0 + timedelta(minutes=minute, seconds=n * 10), actor_id=100 + n,
                               data={"body": f"第 {minute} 分钟 {n}", "n": n}))
    made = seal_settled(now=NOW)
    assert made > 3
    return rows


def _first(report):
    assert not report.ok
    return report.first_problem


@pytest.mark.clause("G13b")
def test_a_sealed_log_verifies_and_the_chain_links(sealed):
    report = seals_verify()
    assert report.ok, report.problems
    assert report.records == LogEntry.objects.filter(created_at__lt=NOW - timedelta(minutes=2)).count()
    seals = list(Seal.objects.order_by("seq"))
    assert seals[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash and b.slice_start == a.slice_end for a, b in pairwise(seals))
    busy = [s for s in seals if s.count]
    assert [s.count for s in busy if s.slice_start >= T0] == [4, 4, 4]
    assert unpack_ids(busy[-1].ids) == [r.pk for r in sealed[8:]]
    assert seal_settled(now=NOW) == 0  # nothing new is settled: a second run adds nothing


@pytest.mark.clause("G13b")
def test_a_changed_record_is_named(sealed):
    _bypass(f"UPDATE {TABLE} SET data = %s WHERE id = %s", ['{"body": "改过的"}', sealed[5].pk])
    problem = _first(seals_verify())
    assert problem.record == sealed[5].pk and "changed" in problem.what


@pytest.mark.clause("G13b")
def test_a_changed_ip_or_time_within_the_slice_is_named(sealed):
    _bypass(f"UPDATE {TABLE} SET ip = '198.51.100.1' WHERE id = %s", [sealed[2].pk])
    assert _first(seals_verify()).record == sealed[2].pk


@pytest.mark.clause("G13b")
def test_a_removed_record_is_named(sealed):
    _bypass(f"DELETE FROM {TABLE} WHERE id = %s", [sealed[9].pk])
    problem = _first(seals_verify())
    assert problem.record == sealed[9].pk and "removed" in problem.what


@pytest.mark.clause("G13b")
def test_a_record_slipped_into_a_sealed_slice_is_named(sealed, log_at):
    slipped = log_at(T0 + timedelta(minutes=1, seconds=55), actor_id=666)
    problem = _first(seals_verify())
    assert problem.record == slipped.pk and "inserted" in problem.what


@pytest.mark.clause("G13b")
def test_a_record_slipped_into_a_quiet_stretch_is_named(sealed, log_at):
    slipped = log_at(T0 + timedelta(minutes=4), actor_id=666)
    assert _first(seals_verify()).record == slipped.pk


@pytest.mark.clause("G13b")
def test_reordered_records_are_named(sealed):
    a, b = sealed[4].pk, sealed[5].pk  # swap two records' places (their ids)
    _bypass(f"UPDATE {TABLE} SET id = -1 WHERE id = %s", [a])
    _bypass(f"UPDATE {TABLE} SET id = %s WHERE id = %s", [a, b])
    _bypass(f"UPDATE {TABLE} SET id = %s WHERE id = -1", [b])
    problem = _first(seals_verify())
    assert problem.record == a and "changed" in problem.what


@pytest.mark.clause("G13b")
def test_a_record_moved_to_another_minute_is_named(sealed):
    _bypass(f"UPDATE {TABLE} SET created_at = %s WHERE id = %s", [T0 + timedelta(minutes=7, seconds=59), sealed[1].pk])
    problem = _first(seals_verify())
    assert problem.record == sealed[1].pk and "removed" in problem.what


@pytest.mark.clause("G13b")
def test_a_forged_or_removed_seal_breaks_the_chain(sealed):
    seal = Seal.objects.filter(count=4).order_by("seq")[1]
    Seal.objects.filter(pk=seal.pk).update(rows_hash="0" * 64)
    problem = _first(seals_verify())
    assert problem.seal == seal.seq and problem.record is None and "hash" in problem.what
    Seal.objects.filter(pk=seal.pk).delete()
    assert "missing" in _first(seals_verify()).what


@pytest.mark.clause("G13b")
@pytest.mark.parametrize("by_month", [True, False], ids=["months-dropped", "rows-deleted"])
def test_the_chain_verifies_after_a_purge_and_held_copies_still_match(officer, log_at, months, by_month):
    old = NOW - timedelta(days=300)
    old_rows = [log_at(old + timedelta(seconds=s), actor_id=200 + s) for s in range(0, 50, 10)]
    if by_month:
        months(old)
    legal_hold_create(actor=officer, authority="某市公安局", document_number="调〔2027〕7号", reason="侦办", user_id=210)
    seal_settled(now=NOW)
    run = retention_sweep_run(now=NOW)
    assert run.purged == 5 and run.moved_to_hold == 1
    assert bool(run.partitions_dropped) == by_month
    assert not LogEntry.objects.filter(pk__in=[r.pk for r in old_rows]).exists()
    report = seals_verify()
    assert report.ok, report.problems
    assert report.purged_seals >= 1 and report.held_checked == 1
    HeldLogEntry.objects.filter(log_id=old_rows[1].pk).update(canonical=HeldLogEntry.objects.get().canonical.replace(
        "210", "211", 1))
    problem = _first(seals_verify())
    assert problem.record == old_rows[1].pk and "held copy" in problem.what


@pytest.mark.clause("G13b")
def test_a_record_put_back_into_a_purged_stretch_is_named(log_at):
    log_at(NOW - timedelta(days=300))
    retention_sweep_run(now=NOW)
    forged = log_at(NOW - timedelta(days=299, hours=23))
    problem = _first(seals_verify())
    assert problem.record == forged.pk


def test_the_command_and_its_record(sealed):
    out = io.StringIO()
    call_command("seals_verify", stdout=out)
    assert "OK" in out.getvalue()
    _bypass(f"DELETE FROM {TABLE} WHERE id = %s", [sealed[0].pk])
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("seals_verify", stdout=out)
    assert f"FIRST BAD: record {sealed[0].pk}: removed" in out.getvalue()
    last = SealVerification.objects.order_by("-started_at").first()
    assert not last.ok and f"record {sealed[0].pk}" in last.first_problem


@pytest.mark.clause("G13b")
@pytest.mark.django_db(transaction=True)
def test_verification_on_two_threads_names_the_same_first_bad_record(log_at):
    rows = [log_at(T0 + timedelta(minutes=m, seconds=s)) for m in range(12) for s in (5, 35)]
    seal_settled(now=NOW)
    assert seals_verify(workers=2).ok
    _bypass(f"UPDATE {TABLE} SET kind = 'forged' WHERE id = %s", [rows[19].pk])
    _bypass(f"DELETE FROM {TABLE} WHERE id = %s", [rows[7].pk])
    two, one = seals_verify(workers=2), seals_verify(workers=1)
    assert two.first_problem.record == one.first_problem.record == rows[7].pk
    assert "removed" in two.first_problem.what
