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
