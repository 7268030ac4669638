from __future__ import annotations

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from django.db import connections
from rest_framework.test import APIClient

from groupchat.core import ratelimit

from .factories import ORIGIN, UserFactory, add_member, make_group


@pytest.fixture(scope="session", autouse=True)
def _flush_test_redis():
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.fixture(autouse=True)
def _reset_rate_limits():
    ratelimit.reset_all()
    yield


@pytest_asyncio.fixture(autouse=True)
async def _close_db_connections_after_async_test():
    # Consumers run ORM code in worker threads; close their connections so PostgreSQL can drop the test database.
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
def origin():
    return ORIGIN


@pytest.fixture
def user_factory():
    return UserFactory


@pytest.fixture
def owner(db):
    return UserFactory(nickname="群主")


@pytest.fixture
def alice(db):
    return UserFactory(nickname="Alice")


@pytest.fixture
def bob(db):
    return UserFactory(nickname="Bob")


@pytest.fixture
def group(owner):
    return make_group(owner)


@pytest.fixture
def member_of():
    return add_member


@pytest.fixture
def api():
    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def live_asgi(transactional_db):
    """A real uvicorn serving the project on a free loopback port (see tests/live_server.py)."""
    from .live_server import start_live_server

    server = start_live_server()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The factories hash a password per user; the production hasher costs ~0.2 s each, which these tests do not need.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Rows the data migrations seed (default tiers and categories, agreements, credit grades). A transactional test's
# flush empties every table, so the tests that run after one would find none; put them back first.
_SEEDS = [
    ("accounts.migrations.0003_seed_agreements_grades", "seed"),
    ("accounts.migrations.0004_privacy_policy", "seed"),
    ("groups.migrations.0003_default_tiers_categories", "forwards"),
    ("groups.migrations.0007_tier_owner_qualification", "forwards"),  # the caps and review of REGULATION §5.2
]


@pytest.fixture(autouse=True)
def _reseed_after_flush(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if not (transactional or {"transactional_db", "live_asgi"} & set(request.fixturenames)):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for module, function in _SEEDS:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """A new channel-layer instance per test. One RedisChannelLayer binds its receive lock to the event loop that
    receives on it; each test (and each live server) has its own loop, so a receive left unfinished when a loop
    stopped (a killed socket, a Redis timeout under load) would fail every later test with "bound to a different
    event loop". In production one process has one loop and this does not arise."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
