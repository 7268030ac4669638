"""The kernel's rate limits on real Redis: ``hit_many`` (one round trip per batch) counts exactly like ``hit``."""

from __future__ import annotations

from django.conf import settings
from limits.storage import RedisStorage

from groupchat.core import ratelimit


def test_the_rate_limits_live_in_redis_when_redis_is_configured():
    assert settings.REDIS_URL
    assert isinstance(ratelimit._limiter().storage, RedisStorage)


def test_hit_many_gives_the_outcomes_of_the_same_hits_in_a_row():
    outcomes = ratelimit.hit_many([("3/minute", ("t", "alice"))] * 5 + [("3/minute", ("t", "bob"))])
    assert outcomes == [True, True, True, False, False, True]


def test_hit_and_hit_many_share_one_window():
    assert ratelimit.hit("2/minute", "shared", "u1")
    assert ratelimit.hit_many([("2/minute", ("shared", "u1")), ("2/minute", ("shared", "u1"))]) == [True, False]
    assert not ratelimit.hit("2/minute", "shared", "u1")
    assert ratelimit.hit_many([]) == []
