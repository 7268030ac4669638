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


def test_hit_many_is_one_round_trip_and_survives_redis_forgetting_its_script():
    """A restarted Redis has no scripts: the batch loads the library's script and counts once, not twice."""
    connection = ratelimit._limiter().storage.get_connection()
    connection.script_flush()
    assert ratelimit.hit_many([("2/minute", ("flush", "u1"))] * 3) == [True, True, False]
    before = connection.info("commandstats")
    assert ratelimit.hit_many([("5/minute", ("trips", "u1")), ("5/minute", ("trips", "u2"))]) == [True, True]
    after = connection.info("commandstats")

    def calls(stats, command):
        return stats.get(f"cmdstat_{command}", {}).get("calls", 0)

    assert calls(after, "evalsha") - calls(before, "evalsha") == 2
    assert calls(after, "script|exists") == calls(before, "script|exists")  # no SCRIPT EXISTS before each batch
