"""End to end: a client that stops reading is closed with 4408 and does not hold up the group (docs/protocol.md).

A real uvicorn (``live_asgi``), real sockets: the slow client's receive buffer is made small and it stops reading, so
the server's transport pauses and frames queue for it, up to ``GROUPCHAT_SOCKET_BACKLOG_FRAMES``.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async

from groups.models import Message
from tests.groups.e2e import chat_group, connect

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


async def test_a_client_that_stops_reading_is_closed_with_4408_and_the_others_get_everything(live_asgi, settings):
    settings.GROUPCHAT = {**settings.GROUPCHAT, "SOCKET_BACKLOG_FRAMES": 5, "SEND_RATE": "100000/10second"}
    code, (sender_token, slow_token, fast_token) = await chat_group(3)
    # Without permessage-deflate: the repetitive bodies would otherwise shrink to almost nothing on the wire.
    slow = await connect(live_asgi, slow_token, receive_buffer=4096, compression=None)  # never reads until the end
    fast = await connect(live_asgi, fast_token)
    sender = await connect(live_asgi, sender_token)
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
