"""Rate limits from the ``limits`` library: Redis-backed in services mode (shared by every process), memory otherwise."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


@lru_cache(maxsize=1)
def _limiter() -> MovingWindowRateLimiter:
    uri = settings.REDIS_URL or "memory://"
    return MovingWindowRateLimiter(storage_from_string(uri))


@lru_cache(maxsize=64)
def _parse(rate: str):
    return parse(rate)


def hit(rate: str, *keys: str) -> bool:
    """Count one hit against ``rate`` (e.g. ``"20/10second"``) for ``keys``; False when over the limit."""
    return _limiter().hit(_parse(rate), *keys)


def reset_all() -> None:
    """Forget every counter (tests)."""
    _limiter().storage.reset()
