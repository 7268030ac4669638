"""End to end: a client that stops reading is closed with 4408 and does not hold up the group (docs/protocol.md).

A real uvicorn (``live_asgi``), real sockets: the slow client's receive buffer is made small and it stops reading, so
the server's transport pauses and frames queue for it, up to ``GROUPCHAT_SOCKET_BACKLOG_FRAMES``.
"""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
import websockets
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from groups import services
from groups.models import Message
from tests.factories import ORIGIN, UserFactory, make_group

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

BODY = "慢" * 4000  # 12 KB a frame


def _send_buffer_max() -> int:
    """The most a server socket's kernel send buffer grows to (Linux ``tcp_wmem``; 4 MB by default)."""
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as f:
            return int(f.read().split()[2])
    except (OSError, ValueError, IndexError):
        return 4 * 2**20


# Enough to fill the kernel's buffers and then the transport's, so that frames queue for the slow socket.
MESSAGES = (_send_buffer_max() + 2**20) // (len(BODY.encode()) + 200) + 1


@sync_to_async
def _setup() -> tuple[str, str, str, str]:
    from accounts.models import GradePermission

    GradePermission.objects.update(message_rate="100000/10second")
    sender, slow, fast = (UserFactory(nickname=n) for n in ("sender", "slow", "fast"))
    group = make_group(sender)
    for user in (slow, fast):
        services.group_join(user=user, group=group, origin=ORIGIN)
    return group.code, *(Token.objects.create(user=u).key for u in (sender, slow, fast))


async def _connect(live, token: str, *, receive_buffer: int | None = None):
    sock = None
    if receive_buffer is not None:  # set before connecting, so the TCP window stays small
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (live.host, live.port))
    # Without permessage-deflate: the repetitive bodies would otherwise shrink to almost nothing on the wire.
    ws = await websockets.connect(f"{live.ws_url}?token={token}", origin=live.url, sock=sock, max_size=None,
                                  compression=None)
    assert json.loads(await ws.recv())["type"] == "hello"
    return ws


async def test_a_client_that_stops_reading_is_closed_with_4408_and_the_others_get_everything(live_asgi, settings):
    settings.GROUPCHAT = {**settings.GROUPCHAT, "SOCKET_BACKLOG_FRAMES": 5, "SEND_RATE": "100000/10second"}
    code, sender_token, slow_token, fast_token = await _setup()
    slow = await _connect(live_asgi, slow_token, receive_buffer=4096)  # and never reads again until the end
    fast = await _connect(live_asgi, fast_token)
    sender = await _connect(live_asgi, sender_token)
    received: list[int] = []

    async def read_fast() -> None:
        while len(received) < MESSAGES:
            frame = json.loads(await fast.recv())
            if frame["type"] == "message":
                received.append(frame["message"]["seq"])
            elif frame["type"] == "messages":
                received.extend(m["seq"] for m in frame["messages"])

    reader = asyncio.create_task(read_fast())
    acked = 0
    for i in range(MESSAGES):  # one at a time, each acked before the next: a frame per message for every member
        await sender.send(json.dumps({"type": "send", "group": code, "client_id": f"m{i}", "body": BODY}))
        while True:
            frame = json.loads(await asyncio.wait_for(sender.recv(), 10))
            if frame["type"] == "ack":
                acked += 1
                break
            assert frame["type"] in ("message", "messages"), frame
    await asyncio.wait_for(reader, 20)
    assert acked == MESSAGES and received == list(range(1, MESSAGES + 1))  # nobody waited for the slow one

    # The slow client reads again: what was written before the close, then the close itself.
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(slow.recv(), 20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408
    assert await sync_to_async(Message.objects.filter(group__code=code).count)() == MESSAGES  # all stored
    for ws in (fast, sender):
        await ws.close()
