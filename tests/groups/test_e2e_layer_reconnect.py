"""End to end: the channel layer's Redis subscription is cut (a Redis restart or failover, a proxy's idle timeout).

The layer is at-most-once (DESIGN §3): what is published while the subscription is down is lost on the wire, never in
the database. The server must subscribe again by itself, and a client that sees the gap in ``seq`` gets the missing
messages with ``resume`` (docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import json

import pytest
import redis
from django.conf import settings

from tests.groups.e2e import chat_group, connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _cut_subscriptions() -> int:
    """Kill this test database's pub/sub connections only (other Redis users on the machine keep theirs)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    db = client.connection_pool.connection_kwargs.get("db", 0)
    killed = 0
    for entry in client.client_list():
        if int(entry.get("db", -1)) == db and (int(entry.get("sub", 0)) or int(entry.get("psub", 0))):
            client.client_kill_filter(_id=entry["id"])
            killed += 1
    return killed


async def _frames(ws, seconds: float) -> list[dict]:
    frames = []
    try:
        while True:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), seconds)))
    except TimeoutError:
        return frames


def _seqs(frames: list[dict]) -> list[int]:
    out = []
    for f in frames:
        if f["type"] == "message":
            out.append(f["message"]["seq"])
        elif f["type"] == "messages":
            out.extend(m["seq"] for m in f["messages"])
    return out


async def test_after_the_layers_subscription_is_cut_live_delivery_comes_back_and_resume_fills_the_gap(live_asgi):
    code, tokens = await chat_group(2)
    sender, receiver = await connect(live_asgi, tokens[0]), await connect(live_asgi, tokens[1])

    async def send(i: int) -> int:
        await sender.send(json.dumps({"type": "send", "group": code, "client_id": f"c{i}", "body": f"第{i}条"}))
        while True:
            frame = json.loads(await asyncio.wait_for(sender.recv(), 10))
            if frame["type"] == "ack":
                return frame["message"]["seq"]

    assert await send(0) == 1 and _seqs(await _frames(receiver, 1)) == [1]
    assert _cut_subscriptions() >= 1
    # Keep sending until live delivery is back (each send is stored and acked whatever the layer does).
    seen: list[int] = []
    for i in range(1, 40):
        await send(i)
        seen += _seqs(await _frames(receiver, 0.25))
        if seen:
            break
    assert seen, "live delivery never came back after the subscription was cut"
    last = await send(100)
    seen += _seqs(await _frames(receiver, 1))
    assert seen[-1] == last  # live again, in order from here
    await receiver.send(json.dumps({"type": "resume", "cursors": {code: 1}}))  # the client saw a jump: resume
    replayed = _seqs(await _frames(receiver, 1))
    assert sorted(set(replayed) | set(seen) | {1}) == list(range(1, last + 1))  # nothing lost for the client
    await sender.close()
    await receiver.close()
