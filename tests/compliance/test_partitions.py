"""The network log in monthly partitions (G13b, compliance/0005): the table's shape, months made ahead and taking
over what the default partition caught, a sweep interrupted between detaching and dropping a month, a detach that
has to wait for a lock, and the migration both ways with records in the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from django.db import OperationalError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from compliance import conf
from compliance.log_months import month_add, month_floor
from compliance.models import RetentionRun
from compliance.selectors import log_partitions
from compliance.services.retention import retention_sweep_run
from compliance.services.seals import seal_settled, seals_verify
from groupchat.core.models import LogEntry

from .conftest import NOW, partition_of

pytestmark = pytest.mark.django_db
TABLE = LogEntry._meta.db_table


def _one(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.mark.clause("G13b")
def test_the_log_is_partitioned_by_month_with_the_models_indexes_one_sequence_and_months_ahead():
    assert _one("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [TABLE]) == [("p",)]
    key = _one("""SELECT a.attname FROM pg_constraint c JOIN unnest(c.conkey) k ON true
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k
                  WHERE c.conrelid = %s::regclass AND c.contype = 'p'""", [TABLE])
    assert sorted(k for (k,) in key) == ["created_at", "id"]
    with connection.schema_editor() as editor:  # the indexes Django would make for the model, by name
        declared = {str(s.parts["name"]).strip('"') for s in editor._model_indexes_sql(LogEntry)}
    partitioned = {name for (name,) in _one("""SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                                               WHERE i.indrelid = %s::regclass AND c.relkind = 'I'""", [TABLE])}
    assert len(declared) >= 6 and declared <= partitioned
    assert _one("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE]) == [(f"public.{TABLE}_id_seq",)]
    names = [p.name for p in log_partitions()]
    now = month_floor(timezone.now())
    ahead = [f"{TABLE}_y{m:%Y}m{m:%m}" for m in (month_add(now, n) for n in range(conf.PARTITIONS_AHEAD + 1))]
    assert set(ahead) <= set(names) and names[-1] == f"{TABLE}_default"


@pytest.mark.clause("G13b")
def test_a_month_made_while_the_default_partition_holds_its_records_takes_them_over(log_at, months):
    rows = [log_at(datetime(2027, 3, 31, 23, 59, tzinfo=UTC) + timedelta(seconds=s)) for s in (0, 30, 59)]
    april = log_at(datetime(2027, 4, 1, tzinfo=UTC))
    far = log_at(datetime(2030, 1, 1, tzinfo=UTC))  # beyond every month made: the default partition takes it
    assert {partition_of(r.pk) for r in (*rows, april)} == {f"{TABLE}_y2027m03", f"{TABLE}_default"}
    seal_settled(now=datetime(2027, 4, 1, 0, 5, tzinfo=UTC))
    assert months(datetime(2027, 4, 1, tzinfo=UTC), now=datetime(2027, 5, 1, tzinfo=UTC)) == [
        f"{TABLE}_y2027m04", f"{TABLE}_y2027m05"]
    assert partition_of(april.pk) == f"{TABLE}_y2027m04" and partition_of(far.pk) == f"{TABLE}_default"
    assert LogEntry.objects.get(pk=april.pk).data == april.data
    report = seals_verify()  # moved with their ids and values: the seal of April's first minute still matches
    assert report.ok, report.problems


@pytest.mark.clause("G13b")
def test_a_month_detached_but_not_dropped_by_an_interrupted_sweep_is_dropped_by_the_next(log_at, months):
    row = log_at(NOW - timedelta(days=300))
    months(row.created_at)
    seal_settled(now=NOW)
    with connection.cursor() as cursor:  # where a crash would have left the sweep: its held records copied, detached
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {TABLE}_y2026m08")
    assert [p.name for p in log_partitions() if not p.attached] == [f"{TABLE}_y2026m08"]
    run = retention_sweep_run(now=NOW)
    assert [(p["name"], p["rows"]) for p in run.partitions_dropped] == [
        (f"{TABLE}_y2026m08", 1), (f"{TABLE}_y2026m09", 0), (f"{TABLE}_y2026m10", 0)]
    assert run.purged == 1 and f"{TABLE}_y2026m08" not in {p.name for p in log_partitions()}
    assert seals_verify().ok


@pytest.mark.clause("G13b")
@pytest.mark.django_db(transaction=True)  # the month must be committed for another connection to read it
def test_a_detach_that_cannot_get_its_lock_gives_up_and_the_next_run_drops_the_month(log_at, months, monkeypatch):
    row = log_at(NOW - timedelta(days=300))
    months(row.created_at)
    monkeypatch.setattr(conf, "PARTITION_LOCK_ATTEMPTS", 2)
    monkeypatch.setattr(conf, "PARTITION_LOCK_TIMEOUT_MS", 50)
    reader = psycopg2.connect(**connection.get_connection_params())  # a long read of August (an export, say)
    try:
        with reader.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE created_at < '2026-09-01'")
        with pytest.raises(OperationalError, match="lock timeout"):
            retention_sweep_run(now=NOW)
    finally:
        reader.close()
    assert RetentionRun.objects.get().status == "failed" and LogEntry.objects.filter(pk=row.pk).exists()
    run = retention_sweep_run(now=NOW)
    assert run.status == "done" and run.purged == 1 and not LogEntry.objects.filter(pk=row.pk).exists()


@pytest.mark.clause("G13b")
def test_the_migration_keeps_every_record_both_ways(log_at):
    rows = [log_at(at) for at in (datetime(2025, 1, 5, tzinfo=UTC), NOW, timezone.now())]
    executor = MigrationExecutor(connection)
    executor.migrate([("compliance", "0004_bilingual_names")])
    assert _one("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [TABLE]) == [("r",)]
    plain = log_at(timezone.now())
    assert plain.pk > rows[-1].pk
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert _one("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [TABLE]) == [("p",)]
    after = log_at(timezone.now())
    assert after.pk > plain.pk
    assert sorted(LogEntry.objects.values_list("id", flat=True)) == [*(r.pk for r in rows), plain.pk, after.pk]
    # every month with records gets its partition
    assert [partition_of(r.pk) for r in rows[:2]] == [f"{TABLE}_y2025m01", f"{TABLE}_y2027m06"]
