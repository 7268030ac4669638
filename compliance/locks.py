"""PostgreSQL advisory locks so two beats (or a beat and an officer's manual run) never run the same sweep at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

RETENTION_SWEEP = 0x47430001
SEALER = 0x47430002


@contextmanager
def advisory_lock(key: int) -> Iterator[bool]:
    """Try to take a session-level advisory lock; yields whether it was taken, and releases it after.

    Session-level (not transaction-level), because the sweep commits many short transactions while it holds it.
    SQLite (embedded mode, one process) has no such lock and needs none: yields True.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        taken = cursor.fetchone()[0]
    try:
        yield taken
    finally:
        if taken:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
