"""Helpers of the end-to-end tests over real sockets (``live_asgi``): a group to talk in, and a connected client."""

from __future__ import annotations

import asyncio
import json
import socket

import websockets
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from groups import services
from tests.factories import ORIGIN, UserFactory, make_group


@sync_to_async
def chat_group(n: int) -> tuple[str, list[str]]:
    """An open group of ``n`` members (the first owns it) whose grades allow any send rate; its code and one token per
    member, in order."""
    from accounts.models import GradePermission

    GradePermission.objects.update(message_rate="100000/10second")
    users = [UserFactory(nickname=f"u{i}") for i in range(n)]
    group = make_group(users[0])
    for user in users[1:]:
        services.group_join(user=user, group=group, origin=ORIGIN)
    return group.code, [Token.objects.create(user=u).key for u in users]


async def connect(server, token: str, *, receive_buffer: int | None = None, compression: str | None = "deflate"):
    """A websocket to ``server`` that has had its ``hello``. ``receive_buffer`` shrinks the socket's kernel receive
    buffer (set before connecting, so the TCP window stays small)."""
    sock = None
    if receive_buffer is not None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (server.host, server.port))
    ws = await websockets.connect(f"{server.ws_url}?token={token}", origin=server.url, sock=sock, max_size=None,
                                  compression=compression)
    assert json.loads(await ws.recv())["type"] == "hello"
    return ws
