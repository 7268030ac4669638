"""The retention sweep (G13b, §5.7): purge network-log records past the retention period, never one younger than
the legal floor, never one a legal hold covers (those move to the hold table first), only ever sealed ones.

One run at a time (a PostgreSQL advisory lock: a second beat's run does nothing). Each run purges everything past
the cutoff, so a run after missed ones catches up. Deletes go in id-ordered chunks, each its own short transaction
that sets ``groupchat.purge`` so the log's append-only trigger lets it through (migrations/0002).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from groupchat.core.events import record
from groupchat.core.models import LogEntry

from .. import conf
from ..canonical import canonical, log_columns, rows_of
from ..locks import RETENTION_SWEEP, advisory_lock
from ..models import HeldLogEntry, LegalHold, RetentionRun, RunStatus, holds_cover
from .seals import seal_settled, sealed_until, slice_floor

log = logging.getLogger(__name__)


def retention_cutoff(now: datetime) -> datetime:
    """Records created before this may go: the retention period back from ``now``, never later than the legal floor
    allows, and aligned down to the seal grid (so no seal's slice is purged in part)."""
    cutoff = min(now - conf.retention(), now - conf.floor())
    return slice_floor(cutoff)


def _purge_allowed(on: bool) -> None:
    """Open (and close again) the append-only trigger's door for this transaction only. Closing it explicitly at the
    end of each chunk keeps it shut for anything else an enclosing transaction might do afterwards."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('groupchat.purge', %s, true)", ["on" if on else "off"])


def _any_active_hold(holds: list[LegalHold]) -> Q | None:
    return holds_cover(holds)


def _move_held(ids: list[int], holds: list[LegalHold], run: RetentionRun, columns: list[str]) -> int:
    """Copy the records among ``ids`` that active holds cover into the hold table, each linked to its holds."""
    if not holds:
        return 0
    covering: dict[int, list[LegalHold]] = {}
    chunk = LogEntry.objects.filter(id__in=ids)
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


def retention_sweep_run(*, now: datetime | None = None, chunk: int | None = None) -> RetentionRun | None:
    """Purge the network log past the retention period. Returns the run, or None when another run holds the lock.

    Side effects: seals what is settled first (only sealed records are purged); moves held records to
    ``HeldLogEntry``; deletes the rest in id-ordered chunks; deletes held copies no active hold covers any more once
    they are past the cutoff; a ``RetentionRun`` row and a network-log record ``compliance.retention.purge``.
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
        run = RetentionRun.objects.create(started_at=now, cutoff=cutoff or retention_cutoff(now),
                                          retention_days=conf.retention_days())
        if cutoff is None:
            run.status, run.finished_at = RunStatus.DONE, timezone.now()
            run.save(update_fields=["status", "finished_at"])
            return run
        columns = log_columns()
        try:
            while True:
                with transaction.atomic():
                    holds = list(LegalHold.objects.filter(released_at__isnull=True))
                    ids = list(LogEntry.objects.filter(created_at__lt=cutoff).order_by("id")
                               .values_list("id", flat=True)[:chunk])
                    if not ids:
                        break
                    _purge_allowed(True)
                    run.moved_to_hold += _move_held(ids, holds, run, columns)
                    run.purged += LogEntry.objects.filter(id__in=ids)._raw_delete(LogEntry.objects.db)
                    _purge_allowed(False)
                    run.first_purged_id = run.first_purged_id or ids[0]
                    run.last_purged_id = ids[-1]
                    run.save(update_fields=["purged", "moved_to_hold", "first_purged_id", "last_purged_id"])
            with transaction.atomic():
                active = _any_active_hold(list(LegalHold.objects.filter(released_at__isnull=True)))
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
                             "first_id": run.first_purged_id, "last_id": run.last_purged_id})
        except Exception as exc:
            RetentionRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now(),
                                                          error=repr(exc)[:2000])
            raise
    return run
