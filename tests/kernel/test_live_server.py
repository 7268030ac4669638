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
