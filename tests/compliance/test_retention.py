"""Network-log retention (G13b): the 184-day floor, the purge sweep, legal holds, the append-only trigger."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from django.core.checks import run_checks
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from compliance import locks
from compliance.models import HeldLogEntry, LegalHold, RetentionRun
from compliance.selectors import log_partitions
from compliance.services.holds import legal_hold_create, legal_hold_release
from compliance.services.retention import retention_cutoff, retention_sweep_run
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry

from .conftest import FLOOR_NOW, NOW, RETENTION_NOW, partition_of

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
FLOOR = timedelta(days=184)
TABLE = LogEntry._meta.db_table


def _ids():
    """The log's records, less the sweep's and the holds' own records of what they did."""
    return set(LogEntry.objects.exclude(kind__startswith="compliance.").values_list("id", flat=True))


@pytest.mark.clause("G13b")
def test_the_platform_refuses_to_start_with_retention_below_the_floor():
    env = {**os.environ, "GROUPCHAT_LOG_RETENTION_DAYS": "183"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert "below the legal floor of 184 days" in result.stderr
    ok = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT,
                        env={**os.environ, "GROUPCHAT_LOG_RETENTION_DAYS": "184"}, capture_output=True, text=True,
                        timeout=120)
    assert ok.returncode == 0, ok.stderr


@pytest.mark.clause("G13b")
def test_a_retention_lowered_after_start_up_fails_the_system_check(settings):
    settings.LOG_RETENTION_DAYS = 100
    assert "compliance.E001" in [m.id for m in run_checks()]
    settings.LOG_RETENTION_DAYS = 184
    assert "compliance.E001" not in [m.id for m in run_checks()]


@pytest.mark.clause("G13b")
def test_nothing_younger_than_the_floor_is_purged(settings, log_at):
    settings.LOG_RETENTION_DAYS = 184
    cutoff = FLOOR_NOW - FLOOR  # 2027-01-01 00:00 UTC: the end of December's partition
    older = log_at(cutoff - timedelta(seconds=1))
    younger = log_at(cutoff + timedelta(seconds=1))
    recent = log_at(FLOOR_NOW - timedelta(days=3))
    assert partition_of(older.pk) == f"{TABLE}_y2026m12" and partition_of(younger.pk) == f"{TABLE}_y2027m01"
    run = retention_sweep_run(now=FLOOR_NOW)
    assert _ids() == {younger.pk, recent.pk}
    assert run.purged == 1 and run.first_purged_id == run.last_purged_id == older.pk
    assert run.cutoff == cutoff
    assert [p["name"] for p in run.partitions_dropped] == [f"{TABLE}_y2026m12"]
    assert f"{TABLE}_y2026m12" not in {p.name for p in log_partitions()}


@pytest.mark.clause("G13b")
def test_a_record_goes_with_its_month_at_most_a_month_after_the_retention_period(log_at):
    cutoff = retention_cutoff(NOW)  # 190 days: 2026-11-23 12:00, inside November
    november = log_at(cutoff - timedelta(days=20))  # past the retention period, but its month is not over
    october = log_at(datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC))
    run = retention_sweep_run(now=NOW)
    assert november.pk in _ids() and october.pk not in _ids()
    assert run.cutoff == datetime(2026, 11, 1, tzinfo=UTC)  # what was purged before: the start of the cutoff's month
    assert retention_sweep_run(now=NOW + timedelta(days=8)).purged == 1  # November's end is past the cutoff now
    assert november.pk not in _ids()


@pytest.mark.clause("G13b")
def test_the_default_retention_keeps_190_days_and_a_run_records_what_it_purged(log_at):
    gone = [log_at(RETENTION_NOW - timedelta(days=190, minutes=5 + i)) for i in range(3)]
    kept = log_at(RETENTION_NOW - timedelta(days=189))
    run = retention_sweep_run(now=RETENTION_NOW)
    assert _ids() == {kept.pk}
    run.refresh_from_db()
    assert (run.status, run.retention_days, run.purged) == ("done", 190, 3)
    assert (run.first_purged_id, run.last_purged_id) == (gone[0].pk, gone[-1].pk)
    assert run.partitions_dropped == [{"name": f"{TABLE}_y2026m12", "start": "2026-12-01T00:00:00+00:00",
                                       "end": "2027-01-01T00:00:00+00:00", "rows": 3,
                                       "first_id": gone[0].pk, "last_id": gone[-1].pk}]
    note = LogEntry.objects.get(kind="compliance.retention.purge")
    assert note.data["purged"] == 3 and note.data["run"] == run.pk
    assert note.data["partitions_dropped"] == [f"{TABLE}_y2026m12"]


@pytest.mark.clause("G13b")
def test_the_sweep_catches_up_after_missed_runs_in_chunks(log_at):
    """Records the default partition caught (no month partition for them) go row by row, in chunks."""
    rows = [log_at(NOW - timedelta(days=400 - d)) for d in range(0, 190, 10)]  # 400 ... 220 days old
    keep = log_at(NOW - timedelta(days=10))
    assert {partition_of(r.pk) for r in rows} == {f"{TABLE}_default"}
    run = retention_sweep_run(now=NOW, chunk=4)
    assert _ids() == {keep.pk}
    assert run.purged == len(rows) and run.partitions_dropped == []
    again = retention_sweep_run(now=NOW)
    assert again.purged == 0 and _ids() == {keep.pk}  # idempotent


@pytest.mark.clause("G13b")
def test_the_sweep_drops_every_missed_month_and_keeps_months_ready_ahead(log_at, months):
    rows = {m: log_at(datetime(2026, m, 15, tzinfo=UTC)) for m in (5, 6, 8, 10, 11)}
    months(datetime(2026, 5, 1, tzinfo=UTC))  # May ... the present: as if sweeps had run then, and then none
    run = retention_sweep_run(now=NOW)  # cutoff 2026-11-23: May to October are over
    assert [p["name"] for p in run.partitions_dropped] == [f"{TABLE}_y2026m{m:02d}" for m in range(5, 11)]
    assert [p["rows"] for p in run.partitions_dropped] == [1, 1, 0, 1, 0, 1]
    assert run.purged == 4 and _ids() == {rows[11].pk}
    names = [p.name for p in log_partitions()]
    ahead = [f"{TABLE}_y{y}m{m:02d}" for y, m in [(2026, 11), (2026, 12), (2027, 1), (2027, 6), (2027, 9)]]
    assert set(ahead) <= set(names) and names[0] == ahead[0] and names[-1] == f"{TABLE}_default"
    assert retention_sweep_run(now=NOW).partitions_dropped == []  # idempotent


@pytest.mark.clause("G13b")
@pytest.mark.parametrize("by_month", [True, False], ids=["months-dropped", "rows-deleted"])
def test_held_records_survive_the_purge_and_go_after_release(officer, log_at, months, by_month):
    before = _ids()  # the officer's own sign-up records, recent enough to stay
    old = NOW - timedelta(days=300)
    by_user = log_at(old, actor_id=77, group_code="2000000002")
    as_target = log_at(old + timedelta(minutes=1), actor_id=5, group_code="")
    target = log_at(old + timedelta(minutes=2), actor_id=6, group_code="")
    by_group = log_at(old + timedelta(minutes=3), actor_id=8, group_code="3000000003")
    in_range = log_at(NOW - timedelta(days=250), actor_id=9, group_code="")
    other = log_at(old + timedelta(minutes=4), actor_id=10, group_code="4000000004")
    user_hold = legal_hold_create(actor=officer, authority="某市公安局网安支队", document_number="公网调〔2027〕1号",
                                  reason="案件侦办", user_id=77)
    legal_hold_create(actor=officer, authority="某区人民法院", document_number="（2027）民保 9 号", reason="诉前保全",
                      group_code="3000000003")
    legal_hold_create(actor=officer, authority="某市网信办", document_number="网信函〔2027〕3 号", reason="核查",
                      starts_at=NOW - timedelta(days=251), ends_at=NOW - timedelta(days=249))
    assert _ids() - before == {by_user.pk, as_target.pk, target.pk, by_group.pk, in_range.pk, other.pk}
    if by_month:
        months(old)

    run = retention_sweep_run(now=NOW)
    assert len(run.partitions_dropped) == (3 if by_month else 0)  # August, September, October 2026

    held = set(HeldLogEntry.objects.values_list("log_id", flat=True))
    assert held == {by_user.pk, by_group.pk, in_range.pk}
    assert run.moved_to_hold == 3
    assert _ids() == before
    copy = HeldLogEntry.objects.get(log_id=by_user.pk)
    assert list(copy.holds.all()) == [user_hold] and copy.actor_id == 77 and '"记录' in copy.canonical

    legal_hold_release(actor=officer, hold_id=user_hold.pk, reason="案件已结")
    run = retention_sweep_run(now=NOW)
    assert run.held_copies_released == 1
    assert set(HeldLogEntry.objects.values_list("log_id", flat=True)) == {by_group.pk, in_range.pk}


@pytest.mark.clause("G13b")
def test_a_hold_naming_a_user_keeps_records_where_they_are_the_target(officer):
    from groupchat.core.events import record

    row = record("group.kick", actor_id=1, target_id=42, group_code="1", at=NOW - timedelta(days=300))
    legal_hold_create(actor=officer, authority="A", document_number="N1", reason="R", user_id=42)
    retention_sweep_run(now=NOW)
    assert HeldLogEntry.objects.filter(log_id=row.pk).exists()


def test_a_hold_needs_authority_document_and_scope(officer, bob):
    with pytest.raises(ApplicationError) as err:
        legal_hold_create(actor=officer, authority="A", document_number="", reason="R", user_id=1)
    assert err.value.code == "hold_authority_required"
    with pytest.raises(ApplicationError) as err:
        legal_hold_create(actor=officer, authority="A", document_number="N", reason="R")
    assert err.value.code == "hold_scope_required"
    with pytest.raises(ApplicationError) as err:
        legal_hold_create(actor=officer, authority="A", document_number="N", reason="R", starts_at=NOW, ends_at=NOW)
    assert err.value.code == "bad_time_range"
    with pytest.raises(ApplicationError) as err:
        legal_hold_create(actor=bob, authority="A", document_number="N", reason="R", user_id=1)
    assert err.value.code == "permission_denied"
    assert not LegalHold.objects.exists()


@pytest.mark.clause("G13b")
def test_a_second_concurrent_sweep_does_nothing(log_at, months):
    row = log_at(NOW - timedelta(days=300))
    months(row.created_at)
    params = connection.get_connection_params()
    other = psycopg2.connect(**params)  # another process's sweep, holding the lock
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [locks.RETENTION_SWEEP])
            assert cursor.fetchone()[0]
        assert retention_sweep_run(now=NOW) is None
        assert row.pk in _ids() and not RetentionRun.objects.exists()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [locks.RETENTION_SWEEP])
    finally:
        other.close()
    assert retention_sweep_run(now=NOW).purged == 1
    assert row.pk not in _ids() and f"{TABLE}_y2026m08" not in {p.name for p in log_partitions()}


@pytest.mark.clause("G13b")
def test_raw_sql_cannot_update_or_delete_the_log(log_at, months):
    row = log_at(NOW - timedelta(days=300))  # caught by the default partition
    moved = log_at(NOW - timedelta(days=400))
    months(moved.created_at, now=moved.created_at)  # a month made later (ATTACHed): its trigger comes from the parent
    current = log_at(timezone.now())  # a month the migration made
    tables = [TABLE, *{partition_of(r.pk) for r in (row, moved, current)}]
    assert len(tables) == 4
    for table in tables:
        for sql in (f"UPDATE {table} SET kind = 'forged' WHERE id = ANY(%s)", f"DELETE FROM {table} WHERE id = ANY(%s)"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                    connection.cursor() as cursor:
                cursor.execute(sql, [[row.pk, moved.pk, current.pk]])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=row.pk).update(kind="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=row.pk)._raw_delete(LogEntry.objects.db)
    assert LogEntry.objects.get(pk=row.pk).kind == "message.sent"


@pytest.mark.clause("G13b")
def test_the_purge_leaves_the_trigger_shut_afterwards(log_at):
    log_at(NOW - timedelta(days=300))
    kept = log_at(NOW - timedelta(days=1))
    with transaction.atomic():  # the purge's chunks as savepoints of one enclosing transaction
        retention_sweep_run(now=NOW)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {LogEntry._meta.db_table} WHERE id = %s", [kept.pk])
    assert kept.pk in _ids()
