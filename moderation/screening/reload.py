"""How every process learns that rules, switches or tier policies changed, within the poll period, without a query
per message.

The hot path calls ``fresh()``; at most once per ``POLL_SECONDS`` per process it reads three version numbers in one
query (the highest rule-change id, the highest switch-toggle id, the tiers' last update) and calls the loader of each
one that moved. A process that made a change calls ``invalidate()`` after its commit, so it sees its own change at
once. Loaders swap their state by one assignment, so a reader sees the old state or the new one, never half of each.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import connection

POLL_SECONDS = 1.0

_lock = threading.Lock()
_next_check = 0.0
_seen: dict[str, object] = {}
_loaders: dict[str, Callable[[], None]] = {}


def register_loader(name: str, loader: Callable[[], None]) -> None:
    """``name`` is one of ``rules``, ``switches``, ``tiers``."""
    _loaders[name] = loader


def _versions() -> dict[str, object]:
    from groups.models import TierPolicy

    from ..models_screening import RuleChange, SwitchToggle

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT max(id) FROM {RuleChange._meta.db_table}),"
            f" (SELECT max(id) FROM {SwitchToggle._meta.db_table}),"
            f" (SELECT max(updated_at) FROM {TierPolicy._meta.db_table})")
        rules, switches, tiers = cursor.fetchone()
    return {"rules": rules or 0, "switches": switches or 0, "tiers": tiers}


def fresh(*, force: bool = False) -> None:
    """Reload whatever changed since this process last looked, if it has not looked within ``POLL_SECONDS``."""
    global _next_check
    now = time.monotonic()
    if not force and now < _next_check:
        return
    # One thread reloads; the others go on with the state they have (it is at most one poll period old).
    if not _lock.acquire(blocking=force):
        return
    try:
        _next_check = now + POLL_SECONDS
        versions = _versions()
        for name, loader in _loaders.items():
            if name not in _seen or _seen[name] != versions[name]:
                loader()
                _seen[name] = versions[name]
    finally:
        _lock.release()


def invalidate() -> None:
    """Look again at the next call (after a change made by this process has committed)."""
    global _next_check
    _next_check = 0.0


def forget() -> None:
    """Reload everything at the next call (tests: the database was flushed under a process that had loaded it)."""
    global _next_check
    _seen.clear()
    _next_check = 0.0
