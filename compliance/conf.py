"""Compliance settings read at call time (tests override them), with the law's fixed floor."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings

LEGAL_FLOOR_DAYS = 184  # G13b: six months, the longest six calendar months; never a setting


def retention_days() -> int:
    return max(LEGAL_FLOOR_DAYS, int(getattr(settings, "LOG_RETENTION_DAYS", 190)))


def retention() -> timedelta:
    return timedelta(days=retention_days())


def floor() -> timedelta:
    return timedelta(days=LEGAL_FLOOR_DAYS)


def package_dir() -> Path:
    path = Path(getattr(settings, "COMPLIANCE_PACKAGE_DIR", settings.VAR_DIR / "compliance-packages"))
    path.mkdir(parents=True, exist_ok=True)
    return path


# The sealer's time slice and how long after a slice ends its rows count as settled (every writer has committed).
SEAL_SLICE = timedelta(minutes=1)  # fixed: seal boundaries and the purge cutoff share this grid
SEAL_SETTLE = timedelta(seconds=int(getattr(settings, "LOG_SEAL_SETTLE_SECONDS", 120)))
# Rows deleted per transaction by the retention purge: short transactions, so the message path never waits long.
PURGE_CHUNK = 5000
# Threads verifying seals' records in parallel (PostgreSQL only; each reads on its own connection).
VERIFY_WORKERS = int(getattr(settings, "LOG_VERIFY_WORKERS", 2))
# Month partitions of the log kept ready after the current month (PostgreSQL): the daily sweep creates them, so a
# missed week of sweeps still finds next month's partition and no row falls into the default partition.
PARTITIONS_AHEAD = 3
# Attaching and detaching a month take brief strong locks (catalog work, no scan); waiting for one longer would queue
# the message path's inserts behind the waiting statement, so it gives up after this long and tries again.
PARTITION_LOCK_TIMEOUT_MS = 200
PARTITION_LOCK_ATTEMPTS = 50
