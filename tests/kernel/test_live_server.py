import json

import pytest
import websockets
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory


@pytest.mark.asyncio
async def test_ws_accepts_token_and_rejects_anonymous(live_asgi):
    from asgiref.sync import sync_to_async

    user = await sync_to_async(UserFactory)()
    token = await sync_to_async(lambda: Token.objects.create(user=user).key)()
    origin = live_asgi.url
    async with websockets.connect(f"{live_asgi.ws_url}?token={token}", origin=origin) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello" and hello["user"]["id"] == user.pk
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        async with websockets.connect(live_asgi.ws_url, origin=origin) as ws:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_http_requests_share_a_fixed_set_of_threads(live_asgi):
    """Under a burst of concurrent requests the server starts no thread per request: every request's synchronous
    part runs on one of GROUPCHAT["HTTP_THREADS"] long-lived threads (so their database connections can be kept)."""
    import threading
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from django.conf import settings

    def get(_: int) -> int:
        with urllib.request.urlopen(f"{live_asgi.url}/healthz", timeout=10) as response:
            return response.status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(get, range(64)))
    assert set(statuses) <= {200, 503} and len(statuses) == 64
    http_threads = [t for t in threading.enumerate() if t.name.startswith("http-")]
    assert 1 <= len(http_threads) <= settings.GROUPCHAT["HTTP_THREADS"]
