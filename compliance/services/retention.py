"""The retention sweep (G13b, §5.7): purge network-log records past the retention period, never one younger than
the legal floor, never one a legal hold covers (those move to the hold table first), only ever sealed ones.

One run at a time (a PostgreSQL advisory lock: a second beat's run does nothing). Each run purges everything past
the cutoff, so a run after missed ones catches up.

PostgreSQL (the log in month partitions, partitions.py): whole months whose end is at or before the cutoff are
detached and dropped, so a record goes with its month: kept at least the retention period, at most a month more.
Rows the default partition caught from before the cutoff's month are deleted row by row. SQLite: rows past the
cutoff are deleted in id-ordered chunks. Row deletes go in short transactions that open ``groupchat.purge`` so the
log's append-only trigger lets them through (migrations/0002).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max, Min, QuerySet, Sum
from django.utils import timezone

from groupchat.core.events import record
from groupchat.core.models import LogEntry

from .. import conf
from ..canonical import canonical, log_columns, rows_of
from ..locks import RETENTION_SWEEP, advisory_lock
from ..log_months import PARENT, month_floor, partitioned
from ..models import HeldLogEntry, LegalHold, RetentionRun, RunStatus, Seal, holds_cover
from ..selectors import log_partitions
from .door import purge_door
from .partitions import log_partitions_ensure, with_short_locks
from .seals import seal_settled, sealed_until, slice_floor

log = logging.getLogger(__name__)


def retention_cutoff(now: datetime) -> datetime:
    """Records created before this may go: the retention period back from ``now``, never later than the legal floor
    allows, and aligned down to the seal grid (so no seal's slice is purged in part)."""
    cutoff = min(now - conf.retention(), now - conf.floor())
    return slice_floor(cutoff)


def purge_before(cutoff: datetime) -> datetime:
    """What a sweep with this cutoff actually purges before: on the partitioned log the start of the cutoff's month
    (months go whole), else the cutoff itself."""
    return month_floor(cutoff) if partitioned() else cutoff


def _move_held(chunk: QuerySet, holds: list[LegalHold], run: RetentionRun, columns: list[str]) -> int:
    """Copy the records of ``chunk`` (a chunk of ids, or a month) that active holds cover into the hold table, each
    linked to its holds."""
    if not holds:
        return 0
    covering: dict[int, list[LegalHold]] = {}
    for hold in holds:
        for rid in chunk.filter(hold.covers()).values_list("id", flat=True):
            covering.setdefault(rid, []).append(hold)
    if not covering:
        return 0
    moved = 0
    already = set(HeldLogEntry.objects.filter(log_id__in=covering).values_list("log_id", flat=True))
    for values in rows_of(chunk.filter(id__in=covering), columns):
        row = dict(zip(columns, values, strict=True))
        if row["id"] in already:
            continue
        entry = HeldLogEntry.objects.create(
            log_id=row["id"], created_at=row["created_at"], kind=row.get("kind", ""), actor_id=row.get("actor_id"),
            target_id=row.get("target_id"), group_code=row.get("group_code") or "", ip=row.get("ip"),
            columns=columns, canonical=canonical(values).decode(), run=run)
        entry.holds.add(*covering[row["id"]])
        moved += 1
    return moved


def _record_purged(run: RetentionRun, first_id: int | None, last_id: int | None) -> None:
    if first_id is not None:
        run.first_purged_id = min(filter(None, [run.first_purged_id, first_id]))
        run.last_purged_id = max(filter(None, [run.last_purged_id, last_id]))


def _detach(name: str) -> None:
    """PostgreSQL refuses ``DETACH ... CONCURRENTLY`` while the table has a default partition, so a month is detached
    under the brief ACCESS EXCLUSIVE lock, in its own transaction, giving way to long readers (with_short_locks)."""
    with_short_locks(f"detaching {name}", lambda cursor: cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {name}"))


def _drop(name: str) -> None:
    """Drop a detached month: a lock on that table only, none on the log the message path writes to."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {name}")


def _drop_months(run: RetentionRun, before: datetime, columns: list[str]) -> None:
    """Drop every month partition that ends at or before ``before``, oldest first: copy the records active holds
    cover to the hold table, detach the month, drop it. Each step commits on its own, so a crash between them leaves
    a state the next run finishes (a detached month is dropped without a second look: its held records were copied
    before it was detached). What each month held comes from its seals: only sealed months are dropped."""
    for part in log_partitions():
        if part.default or part.end > before:
            continue
        if part.attached:
            with transaction.atomic():
                holds = list(LegalHold.objects.active())
                month = LogEntry.objects.filter(created_at__gte=part.start, created_at__lt=part.end)
                run.moved_to_hold += _move_held(month, holds, run, columns)
                run.save(update_fields=["moved_to_hold"])
            _detach(part.name)
        sealed = Seal.objects.filter(slice_start__gte=part.start, slice_start__lt=part.end).aggregate(
            rows=Sum("count"), first=Min("first_id"), last=Max("last_id"))
        with transaction.atomic():
            _drop(part.name)
            run.purged += sealed["rows"] or 0
            _record_purged(run, sealed["first"], sealed["last"])
            run.partitions_dropped.append({"name": part.name, "start": part.start.isoformat(),
                                           "end": part.end.isoformat(), "rows": sealed["rows"] or 0,
                                           "first_id": sealed["first"], "last_id": sealed["last"]})
            run.save(update_fields=["purged", "first_purged_id", "last_purged_id", "partitions_dropped"])


def _delete_rows(run: RetentionRun, before: datetime, chunk: int, columns: list[str]) -> None:
    """Delete the records created before ``before`` in id-ordered chunks, each its own short transaction (on the
    partitioned log only the default partition still holds any)."""
    while True:
        with transaction.atomic():
            holds = list(LegalHold.objects.active())
            ids = list(LogEntry.objects.filter(created_at__lt=before).order_by("id")
                       .values_list("id", flat=True)[:chunk])
            if not ids:
                return
            purge_door(True)
            run.moved_to_hold += _move_held(LogEntry.objects.filter(id__in=ids), holds, run, columns)
            run.purged += LogEntry.objects.filter(id__in=ids)._raw_delete(LogEntry.objects.db)
            purge_door(False)
            _record_purged(run, ids[0], ids[-1])
            run.save(update_fields=["purged", "moved_to_hold", "first_purged_id", "last_purged_id"])


def retention_sweep_run(*, now: datetime | None = None, chunk: int | None = None) -> RetentionRun | None:
    """Purge the network log past the retention period. Returns the run, or None when another run holds the lock.

    Side effects: seals what is settled first (only sealed records are purged); on PostgreSQL creates the month
    partitions from the cutoff's month through ``PARTITIONS_AHEAD`` months ahead and drops the months past the
    cutoff; moves held records to ``HeldLogEntry``; deletes the other records past the cutoff in id-ordered chunks;
    deletes held copies no active hold covers any more once they are past the cutoff; a ``RetentionRun`` row and a
    network-log record ``compliance.retention.purge``.
    """
    now = now or timezone.now()
    chunk = chunk or conf.PURGE_CHUNK
    with advisory_lock(RETENTION_SWEEP) as taken:
        if not taken:
            log.info("retention sweep already running elsewhere; this run does nothing")
            return None
        seal_settled(now=now)
        cutoff = retention_cutoff(now)
        sealed = sealed_until()
        # Only sealed slices are purged: their seals are what proves, afterwards, what the log held.
        cutoff = min(cutoff, sealed) if sealed is not None else None
        kept_from = cutoff or now
        if cutoff is not None:
            cutoff = purge_before(cutoff)
        run = RetentionRun.objects.create(started_at=now, cutoff=cutoff or retention_cutoff(now),
                                          retention_days=conf.retention_days())
        columns = log_columns()
        try:
            # The months that stay get their partitions first, so rows of theirs the default partition caught move in.
            log_partitions_ensure(now=now, since=kept_from)
            if cutoff is None:
                run.status, run.finished_at = RunStatus.DONE, timezone.now()
                run.save(update_fields=["status", "finished_at"])
                return run
            if partitioned():
                _drop_months(run, cutoff, columns)
            _delete_rows(run, cutoff, chunk, columns)
            with transaction.atomic():
                active = holds_cover(LegalHold.objects.active())
                stale = HeldLogEntry.objects.filter(created_at__lt=cutoff)
                if active is not None:
                    stale = stale.exclude(active)
                stale_ids = list(stale.values_list("id", flat=True))
                HeldLogEntry.holds.through.objects.filter(heldlogentry_id__in=stale_ids).delete()
                run.held_copies_released = HeldLogEntry.objects.filter(id__in=stale_ids).delete()[0]
                run.status, run.finished_at = RunStatus.DONE, timezone.now()
                run.save(update_fields=["held_copies_released", "status", "finished_at"])
                # Stamped no earlier than the run's own clock (which tests set ahead), never inside a sealed slice.
                record("compliance.retention.purge", actor_id=None, at=max(timezone.now(), now),
                       data={"run": run.pk, "cutoff": cutoff.isoformat(), "retention_days": run.retention_days,
                             "purged": run.purged, "moved_to_hold": run.moved_to_hold,
                             "held_copies_released": run.held_copies_released,
                             "first_id": run.first_purged_id, "last_id": run.last_purged_id,
                             "partitions_dropped": [p["name"] for p in run.partitions_dropped]})
        except Exception as exc:
            RetentionRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now(),
                                                          error=repr(exc)[:2000])
            raise
    return run
