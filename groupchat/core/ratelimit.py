"""Rate limits from the ``limits`` library: Redis-backed in services mode (shared by every process), memory otherwise.

Redis is not the system of record: while it is unreachable, every hit is counted by a limiter in this process's
memory instead (the same rates, per process rather than shared), so sends keep being stored and acked; the shared
counters are used again as soon as Redis answers.

The sliding-window *counter* strategy: two counters per key and an O(1) script per hit. The moving-window strategy
keeps one list entry per hit and reads ``LINDEX limit-1``, which walks the list: with a generous limit (an operator
lifting a grade's rate) each hit cost about a millisecond, a quarter of the send path's time under load.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import lru_cache

from django.conf import settings
from limits import parse
from limits.storage import MemoryStorage, RedisStorage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# What an unreachable Redis raises (refused, reset, timed out).
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


@lru_cache(maxsize=1)
def _limiter() -> SlidingWindowCounterRateLimiter:
    uri = settings.REDIS_URL or "memory://"
    return SlidingWindowCounterRateLimiter(storage_from_string(uri))


@lru_cache(maxsize=1)
def _local() -> SlidingWindowCounterRateLimiter:
    """This process's own limiter, for while Redis is unreachable."""
    return SlidingWindowCounterRateLimiter(MemoryStorage())


_last_warning = 0.0


def _unreachable(exc: Exception) -> SlidingWindowCounterRateLimiter:
    global _last_warning
    if time.monotonic() - _last_warning > 10:  # one line per ten seconds of outage, not one per batch
        _last_warning = time.monotonic()
        log.warning("rate limits counted in process memory: Redis unreachable (%r)", exc)
    return _local()


@lru_cache(maxsize=64)
def _parse(rate: str):
    return parse(rate)


def hit(rate: str, *keys: str) -> bool:
    """Count one hit against ``rate`` (e.g. ``"20/10second"``) for ``keys``; False when over the limit."""
    try:
        return _limiter().hit(_parse(rate), *keys)
    except _UNREACHABLE as exc:
        return _unreachable(exc).hit(_parse(rate), *keys)


def hit_many(hits: Sequence[tuple[str, tuple[str, ...]]]) -> list[bool]:
    """``hit`` for each ``(rate, keys)`` in order, in one Redis round trip instead of one per hit.

    The send path's batches call this once for all their senders: at a few hundred messages a second a round trip per
    message was most of a batch's wall time. Each hit is the library's own script on the library's own keys (so
    ``hit`` and ``hit_many`` count against the same windows), queued on one pipeline; Redis runs them one after
    another, so the outcomes are those of the same hits made in a row.
    """
    limiter = _limiter()
    storage = limiter.storage
    if not hits:
        return []
    if not isinstance(storage, RedisStorage):
        return [hit(rate, *keys) for rate, keys in hits]
    script = storage.lua_acquire_sliding_window
    calls = []
    for rate, keys in hits:
        item = _parse(rate)
        key = item.key_for(*keys)
        # The same keys and script as RedisStorage.acquire_sliding_window_entry (limits 5.x).
        calls.append((storage.prefixed_key(storage._previous_window_key(key)),
                      storage.prefixed_key(storage._current_window_key(key)), item.amount, item.get_expiry(), 1))
    connection = storage.get_connection()
    for attempt in (1, 2):
        # EVALSHA straight on the pipeline: handing redis-py the Script object makes every execute() ask SCRIPT
        # EXISTS first, a second round trip per batch.
        pipe = connection.pipeline(transaction=False)
        for call in calls:
            pipe.evalsha(script.sha, 2, *call)
        try:
            return [bool(result) for result in pipe.execute()]
        except _UNREACHABLE as exc:
            local = _unreachable(exc)
            return [local.hit(_parse(rate), *keys) for rate, keys in hits]
        except NoScriptError:  # Redis restarted (or never saw the script): nothing ran; load it and go again
            if attempt == 2:
                raise
            script.sha = connection.script_load(script.script)
    raise AssertionError("unreachable")


def reset_all() -> None:
    """Forget every counter (tests)."""
    _limiter().storage.reset()
    _local().storage.reset()
