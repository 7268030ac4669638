from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from groupchat.core.events import record
from groupchat.core.models import LogEntry
from tests.factories import ORIGIN, UserFactory

# A fixed "now" on the seal grid (a whole minute), far enough from the real clock that nothing else interferes.
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
# Clocks at which the retention cutoff is a month boundary (2027-01-01), so a whole month partition is due: the
# legal floor of 184 days back from FLOOR_NOW, the default 190 days back from RETENTION_NOW.
FLOOR_NOW = datetime(2027, 7, 4, tzinfo=UTC)
RETENTION_NOW = datetime(2027, 7, 10, tzinfo=UTC)


def make_officer(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="compliance"))
    return user


@pytest.fixture
def officer(db):
    return make_officer(nickname="合规专员甲")


@pytest.fixture
def second_officer(db):
    return make_officer(nickname="合规专员乙")


@pytest.fixture
def log_at():
    """Write one network-log record at a given time, as a service would."""

    def write(at, *, kind="message.sent", actor_id=1, group_code="1000000001", data=None):
        return record(kind, actor_id=actor_id, origin=ORIGIN, group_code=group_code, at=at,
                      data=data if data is not None else {"body": f"记录 {at.isoformat()}"})

    return write


def partition_of(row_id: int) -> str:
    """The partition of the network log (compliance/0005) that holds this record."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {LogEntry._meta.db_table} WHERE id = %s", [row_id])
        return cursor.fetchone()[0]


@pytest.fixture
def months():
    """Give the log month partitions from ``since`` on (as the migration does for months that have records)."""
    from compliance.services.partitions import log_partitions_ensure

    def ensure(since, *, now=NOW):
        return log_partitions_ensure(now=now, since=since, ahead=0)

    return ensure
