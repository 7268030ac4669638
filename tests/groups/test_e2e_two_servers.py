"""End to end on two servers (issue 6, scenario 5): members connected to different server processes get every
message, once, whichever process took it.

Two real uvicorn servers in this test process, each with its own event loop, its own send batcher and its own
subscriptions on the Redis pub/sub channel layer: a message stored by one reaches the other's sockets only through
Redis, as between two processes.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from groups.models import Message
from tests.groups.e2e import chat_group, connect
from tests.live_server import start_live_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PER_SENDER = 40


async def _send_all(ws, code: str, name: str) -> list[int]:
    seqs = []
    for i in range(PER_SENDER):
        await ws.send(json.dumps({"type": "send", "group": code, "client_id": f"{name}-{i}", "body": f"{name} {i}"}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["type"] == "ack":
                seqs.append(frame["message"]["seq"])
                break
    return seqs


async def _receive(ws, total: int) -> list[int]:
    seqs: list[int] = []
    while len(set(seqs)) < total:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame["type"] == "message":
            seqs.append(frame["message"]["seq"])
        elif frame["type"] == "messages":
            seqs.extend(m["seq"] for m in frame["messages"])
    return seqs


async def test_members_on_different_servers_get_every_message_once(live_asgi, settings):
    settings.GROUPCHAT = {**settings.GROUPCHAT, "SEND_RATE": "100000/10second"}
    code, tokens = await chat_group(6)
    other = await sync_to_async(start_live_server)()
    try:
        servers = [live_asgi, other]
        senders = [await connect(servers[k], tokens[k]) for k in range(2)]  # one sender on each server
        receivers = [await connect(servers[k % 2], t) for k, t in enumerate(tokens[2:])]  # two on each
        total = 2 * PER_SENDER
        listening = [asyncio.create_task(_receive(ws, total)) for ws in receivers]
        acked = await asyncio.gather(*(_send_all(ws, code, f"s{k}") for k, ws in enumerate(senders)))
        received = await asyncio.wait_for(asyncio.gather(*listening), 30)
        for ws in senders + receivers:
            await ws.close()
    finally:
        await sync_to_async(other.stop)()
    assert sorted(acked[0] + acked[1]) == list(range(1, total + 1))  # both servers wrote, seq contiguous
    for seqs in received:  # every receiver, on either server: every message exactly once
        assert sorted(seqs) == list(range(1, total + 1))
    stored = await sync_to_async(lambda: list(Message.objects.filter(group__code=code).values_list("seq", flat=True)))()
    assert sorted(stored) == list(range(1, total + 1))
