"""Names and bounds of the network log's month partitions (PostgreSQL; compliance/services/partitions.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.db import connection

from groupchat.core.models import LogEntry

PARENT = LogEntry._meta.db_table
DEFAULT = f"{PARENT}_default"


def partition_pattern() -> str:
    """The names of month partitions, as a PostgreSQL / Python regular expression."""
    return rf"^{PARENT}_y([0-9]{{4}})m([0-9]{{2}})$"


def month_floor(at: datetime) -> datetime:
    """The start (UTC) of the calendar month ``at`` falls in."""
    return at.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_add(month: datetime, n: int) -> datetime:
    index = month.year * 12 + month.month - 1 + n
    return month.replace(year=index // 12, month=index % 12 + 1)


def partition_name(month: datetime) -> str:
    return f"{PARENT}_y{month.year:04d}m{month.month:02d}"


def month_of_name(name: str) -> datetime | None:
    found = re.match(partition_pattern(), name)
    return datetime(int(found[1]), int(found[2]), 1, tzinfo=UTC) if found else None


def partitioned() -> bool:
    """Whether the log's table is partitioned here (PostgreSQL after migration 0005)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"
