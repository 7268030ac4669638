"""The network log in monthly partitions (G13b, PostgreSQL): created ahead, so the purge drops whole months.

``core_logentry`` is partitioned BY RANGE (created_at) (migrations/0005): one partition per calendar month in UTC,
``core_logentry_y2026m12`` = [2026-12-01, 2027-01-01), and a DEFAULT partition for rows no month covers, so an
insert is never refused. The retention sweep keeps months from the cutoff's month through ``PARTITIONS_AHEAD``
months after now. A month created while the default partition holds rows of it takes those rows over (moved inside
the append-only trigger's door: the rows keep their ids and values, so their seals still verify).

Every new month is built as a plain table and then ATTACHed: that takes only a SHARE UPDATE EXCLUSIVE lock on the
log (``CREATE TABLE ... PARTITION OF`` would take an ACCESS EXCLUSIVE one and stop the message path's inserts).
SQLite (embedded mode) keeps one plain table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from django.db import OperationalError, connection, transaction

from .. import conf
from ..log_months import DEFAULT, PARENT, month_add, month_floor, partition_name, partitioned
from ..selectors import log_partitions
from .door import purge_door

log = logging.getLogger(__name__)
T = TypeVar("T")


def _attached_months() -> set[datetime]:
    return {part.start for part in log_partitions() if part.attached and not part.default}


def month_create(cursor, month: datetime) -> int:
    """Create and attach the partition of ``month``, taking over the rows of it the default partition holds. Run
    inside a transaction (the door is transaction-local). Returns how many rows were moved over."""
    name, start, end = partition_name(month), month, month_add(month, 1)
    cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)")
    # Lets ATTACH skip scanning the new table for rows outside its bounds.
    cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bounds CHECK (created_at >= %s AND created_at < %s)",
                   [start, end])
    purge_door(True, cursor=cursor)
    cursor.execute(f"WITH moved AS (DELETE FROM {DEFAULT} WHERE created_at >= %s AND created_at < %s RETURNING *) "
                   f"INSERT INTO {name} SELECT * FROM moved", [start, end])
    moved = cursor.rowcount
    purge_door(False, cursor=cursor)
    # Indexes and the append-only trigger are cloned from the parent on ATTACH.
    cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [start, end])
    cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bounds")
    return moved


def with_short_locks(what: str, work: Callable[..., T]) -> T:
    """Run ``work(cursor)`` in its own transaction under a short ``lock_timeout``, trying again a little later when it
    times out. Attaching and detaching a month need strong locks (ATTACH: the default partition's; DETACH: the
    log's, briefly): waiting behind a long reader (an export, a verification) would queue the message path's inserts
    behind the waiting DDL, so it gives up quickly instead and lets them through."""
    for attempt in range(conf.PARTITION_LOCK_ATTEMPTS):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = {int(conf.PARTITION_LOCK_TIMEOUT_MS)}")
                result = work(cursor)
                cursor.execute("SET LOCAL lock_timeout = DEFAULT")
            return result
        except OperationalError as exc:
            if getattr(exc.__cause__, "pgcode", None) != "55P03" or attempt == conf.PARTITION_LOCK_ATTEMPTS - 1:
                raise
            log.info("%s waited for a lock; trying again", what)
            time.sleep(min(0.05 * 2 ** attempt, 2.0))
    raise AssertionError("unreachable")


def months_ensure(months: Iterable[datetime]) -> list[str]:
    """Create the partitions of those of ``months`` that have none yet, each in its own short transaction."""
    made = []
    have = _attached_months()
    for month in sorted({month_floor(m) for m in months} - have):
        with_short_locks(f"creating {partition_name(month)}", lambda cursor, month=month: month_create(cursor, month))
        made.append(partition_name(month))
    return made


def log_partitions_ensure(*, now: datetime, since: datetime | None = None, ahead: int | None = None) -> list[str]:
    """Make sure every month from ``since``'s (default: the oldest month with a partition or a record in the default
    partition) through ``ahead`` months after ``now``'s has its partition. Returns the names created.

    Side effects: new partitions (rows of their months move over from the default partition). Nothing on SQLite.
    """
    if not partitioned():
        return []
    ahead = conf.PARTITIONS_AHEAD if ahead is None else ahead
    last = month_add(month_floor(now), ahead)
    if since is None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT min(created_at) FROM {DEFAULT}")
            oldest = cursor.fetchone()[0]
        present = _attached_months()
        since = min([m for m in [oldest and month_floor(oldest), min(present, default=None)] if m], default=last)
    month, months = month_floor(since), []
    while month <= last:
        months.append(month)
        month = month_add(month, 1)
    return months_ensure(months)
