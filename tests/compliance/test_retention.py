"""Network-log retention (G13b): the 184-day floor, the purge sweep, legal holds, the append-only trigger."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
from django.core.checks import run_checks
from django.db import DatabaseError, connection, transaction

from compliance import locks
from compliance.models import HeldLogEntry, LegalHold, RetentionRun
from compliance.services.holds import legal_hold_create, legal_hold_release
from compliance.services.retention import retention_sweep_run
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry

from .conftest import NOW

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
FLOOR = timedelta(days=184)


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
    older = log_at(NOW - FLOOR - timedelta(seconds=1))
    younger = log_at(NOW - FLOOR + timedelta(seconds=1))
    recent = log_at(NOW - timedelta(days=3))
    run = retention_sweep_run(now=NOW)
    assert _ids() == {younger.pk, recent.pk}
    assert run.purged == 1 and run.first_purged_id == run.last_purged_id == older.pk
    assert run.cutoff == NOW - FLOOR


@pytest.mark.clause("G13b")
def test_the_default_retention_keeps_190_days_and_a_run_records_what_it_purged(log_at):
    gone = [log_at(NOW - timedelta(days=190, minutes=5 + i)) for i in range(3)]
    kept = log_at(NOW - timedelta(days=189))
    run = retention_sweep_run(now=NOW)
    assert _ids() == {kept.pk}
    run.refresh_from_db()
    assert (run.status, run.retention_days, run.purged) == ("done", 190, 3)
    assert (run.first_purged_id, run.last_purged_id) == (gone[0].pk, gone[-1].pk)
    note = LogEntry.objects.get(kind="compliance.retention.purge")
    assert note.data["purged"] == 3 and note.data["run"] == run.pk


@pytest.mark.clause("G13b")
def test_the_sweep_catches_up_after_missed_runs_in_chunks(log_at):
    rows = [log_at(NOW - timedelta(days=400 - d)) for d in range(0, 210, 10)]  # 400 ... 210 days old
    keep = log_at(NOW - timedelta(days=10))
    run = retention_sweep_run(now=NOW, chunk=4)
    assert _ids() == {keep.pk}
    assert run.purged == len(rows)
    again = retention_sweep_run(now=NOW)
    assert again.purged == 0 and _ids() == {keep.pk}  # idempotent


@pytest.mark.clause("G13b")
def test_held_records_survive_the_purge_and_go_after_release(officer, log_at):
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

    run = retention_sweep_run(now=NOW)

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
def test_a_second_concurrent_sweep_does_nothing(log_at):
    row = log_at(NOW - timedelta(days=300))
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


@pytest.mark.clause("G13b")
def test_raw_sql_cannot_update_or_delete_the_log(log_at):
    row = log_at(NOW - timedelta(days=300))
    table = LogEntry._meta.db_table
    for sql in (f"UPDATE {table} SET kind = 'forged' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
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
