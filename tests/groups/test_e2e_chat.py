"""End to end: a real uvicorn (``live_asgi``), the Redis channel layer, PostgreSQL, and real ``websockets`` clients.

The database is the truth and the channel layer is at-most-once, so a client that keeps the last seq per group and
resumes from it after a reconnect must end up with every message exactly once, in order (DESIGN §3 step 6).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
import websockets
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from groups import services
from groups.models import Message
from groups.selectors import group_get
from tests.factories import ORIGIN, UserFactory, make_group

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

TIMEOUT = 10


@sync_to_async
def _setup(n_members: int, *, join: int | None = None) -> tuple[str, list[str]]:
    """An open group; returns its code and one token per user (the owner first). Only ``join`` users join it."""
    users = [UserFactory(nickname=f"u{i}") for i in range(n_members)]
    group = make_group(users[0])
    for user in users[1:join]:
        services.group_join(user=user, group=group, origin=ORIGIN)
    return group.code, [Token.objects.create(user=u).key for u in users]


@sync_to_async
def _join(token: str, code: str) -> None:
    user = Token.objects.select_related("user").get(key=token).user
    services.group_join(user=user, group=group_get(code=code), origin=ORIGIN)


@sync_to_async
def _lift_grade_rates() -> None:
    from accounts.models import GradePermission

    GradePermission.objects.update(message_rate="1000/10second")


@sync_to_async
def _stored_seqs(code: str) -> list[int]:
    return list(Message.objects.filter(group__code=code).order_by("seq").values_list("seq", flat=True))


class Client:
    """A chat client as the browser's script is meant to be: one socket, a cursor per group, resume on reconnect."""

    def __init__(self, live, token: str) -> None:
        self.live, self.token = live, token
        self.ws = None
        self.timeline: dict[int, dict] = {}  # seq -> message, each applied once
        # How often each seq arrived, by way: live fan-out, replay (resume) and the ack of one's own send.
        self.counts: dict[str, Counter[int]] = {"live": Counter(), "replay": Counter(), "ack": Counter()}
        self.acks: dict[str, dict] = {}
        self.resumed = asyncio.Event()
        self.hello: dict = {}
        self._reader: asyncio.Task | None = None

    @property
    def cursor(self) -> int:
        seq = 0
        while seq + 1 in self.timeline:
            seq += 1
        return seq

    async def connect(self) -> Client:
        self.ws = await websockets.connect(f"{self.live.ws_url}?token={self.token}", origin=self.live.url,
                                           open_timeout=TIMEOUT)
        self.hello = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
        assert self.hello["type"] == "hello"
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame["type"] in ("message", "messages"):
                    for message in frame.get("messages") or [frame.get("message")]:
                        self._apply(message, "replay" if frame.get("replay") else "live")
                elif frame["type"] == "ack":
                    self.acks[frame["client_id"]] = frame["message"]
                    self._apply(frame["message"], "ack")
                elif frame["type"] == "resumed":
                    self.resumed.set()
                elif frame["type"] == "error":
                    raise AssertionError(f"server error frame: {frame}")
        except websockets.ConnectionClosed:
            pass

    def _apply(self, message: dict, way: str) -> None:
        self.counts[way][message["seq"]] += 1
        seen = self.timeline.setdefault(message["seq"], message)
        assert seen["id"] == message["id"] and seen["body"] == message["body"]  # one seq, one message

    def assert_no_duplicates(self) -> None:
        for way, counts in self.counts.items():
            assert not [seq for seq, n in counts.items() if n > 1], f"{way} delivered a seq twice"

    async def send(self, code: str, client_id: str, body: str) -> None:
        await self.ws.send(json.dumps({"type": "send", "group": code, "client_id": client_id, "body": body}))

    async def resume(self, code: str) -> None:
        self.resumed.clear()
        await self.ws.send(json.dumps({"type": "resume", "cursors": {code: self.cursor}}))
        await asyncio.wait_for(self.resumed.wait(), TIMEOUT)

    async def wait_for_seqs(self, n: int) -> None:
        async def until():
            while len(self.timeline) < n:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(until(), TIMEOUT)

    async def wait_for_acks(self, *client_ids: str) -> None:
        """The sender's own message may come back in the group's broadcast before its ack: nothing orders the two."""
        async def until():
            while not all(cid in self.acks for cid in client_ids):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(until(), TIMEOUT)

    def kill(self) -> None:
        """Drop the TCP connection without a closing handshake, as a lost network does."""
        self.ws.transport.abort()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.wait_for(self._reader, TIMEOUT)


def _assert_exactly(client: Client, n: int) -> None:
    assert sorted(client.timeline) == list(range(1, n + 1))


async def test_two_users_chat(live_asgi):
    code, (owner_token, alice_token) = await _setup(2)
    owner, alice = await Client(live_asgi, owner_token).connect(), await Client(live_asgi, alice_token).connect()
    try:
        assert alice.hello["groups"] == [code]
        await alice.send(code, "a1", "你好！")
        await owner.wait_for_seqs(1)
        await owner.send(code, "o1", "欢迎")
        await alice.wait_for_seqs(2)
        await owner.wait_for_seqs(2)
        assert [m["body"] for _, m in sorted(alice.timeline.items())] == ["你好！", "欢迎"]
        await alice.wait_for_acks("a1")
        await owner.wait_for_acks("o1")
        assert alice.acks["a1"]["seq"] == 1 and owner.acks["o1"]["seq"] == 2
        assert owner.timeline[1]["sender"]["role"] == "member" and alice.timeline[2]["sender"]["role"] == "owner"
        for client in (owner, alice):
            client.assert_no_duplicates()
            assert sorted(client.counts["live"]) == [1, 2]  # the sender's socket gets its own message too
    finally:
        await owner.close()
        await alice.close()


async def test_late_joiner_resumes_the_whole_history_in_order(live_asgi):
    code, (owner_token, alice_token, carol_token) = await _setup(3, join=2)
    owner, alice = await Client(live_asgi, owner_token).connect(), await Client(live_asgi, alice_token).connect()
    carol = await Client(live_asgi, carol_token).connect()
    try:
        for i in range(1, 13):
            await (owner if i % 2 else alice).send(code, f"m{i}", f"第{i}条")
        await owner.wait_for_seqs(12)
        assert carol.hello["groups"] == []
        await _join(carol_token, code)
        await carol.resume(code)
        _assert_exactly(carol, 12)
        assert sorted(carol.counts["replay"]) == list(range(1, 13))
        # Two sockets sent at once, so the server's seq order is the truth: carol sees exactly what the owner saw.
        assert [m["id"] for _, m in sorted(carol.timeline.items())] == [m["id"] for _, m in sorted(
            owner.timeline.items())]
        assert {m["body"] for m in carol.timeline.values()} == {f"第{i}条" for i in range(1, 13)}
        # Joined live: new messages now reach carol without another resume.
        await owner.send(code, "after", "欢迎新人")
        await carol.wait_for_seqs(13)
        assert carol.timeline[13]["body"] == "欢迎新人" and carol.counts["live"][13] == 1
        carol.assert_no_duplicates()
    finally:
        for c in (owner, alice, carol):
            await c.close()


async def test_killed_socket_reconnects_and_resumes_without_loss_or_duplicates(live_asgi, settings):
    # One fast sender: lift the platform rate and the per-credit-grade rates for this test.
    settings.GROUPCHAT = {**settings.GROUPCHAT, "SEND_RATE": "1000/10second"}
    await _lift_grade_rates()
    code, (owner_token, bob_token) = await _setup(2)
    total = 40
    owner, bob = await Client(live_asgi, owner_token).connect(), await Client(live_asgi, bob_token).connect()

    async def keep_sending():
        for i in range(1, total + 1):
            await owner.send(code, f"s{i}", f"消息{i}")
            await asyncio.sleep(0.01)

    sender = asyncio.create_task(keep_sending())
    try:
        await bob.wait_for_seqs(8)
        bob.kill()
        await bob.close()
        received_before = len(bob.timeline)
        assert received_before < total  # the kill really happened mid-stream
        await asyncio.sleep(0.1)  # messages keep flowing while bob is gone
        await bob.connect()
        await bob.resume(code)
        await sender
        await owner.wait_for_seqs(total)
        await bob.wait_for_seqs(total)
        _assert_exactly(bob, total)
        bob.assert_no_duplicates()
        assert [bob.timeline[s]["body"] for s in range(1, total + 1)] == [f"消息{i}" for i in range(1, total + 1)]
        assert await _stored_seqs(code) == list(range(1, total + 1))
    finally:
        sender.cancel()
        await owner.close()
        await bob.close()


async def test_twenty_concurrent_senders_get_a_gap_free_sequence_delivered_once_to_everyone(live_asgi):
    senders, each = 20, 4
    code, tokens = await _setup(senders, join=senders)
    clients = [Client(live_asgi, t) for t in tokens]
    await asyncio.gather(*(c.connect() for c in clients))
    total = senders * each
    try:
        async def burst(i: int, client: Client):
            for k in range(each):
                await client.send(code, f"u{i}-{k}", f"{i}:{k}")

        await asyncio.gather(*(burst(i, c) for i, c in enumerate(clients)))
        await asyncio.gather(*(c.wait_for_seqs(total) for c in clients))
        assert await _stored_seqs(code) == list(range(1, total + 1))
        for client in clients:
            _assert_exactly(client, total)
            # Each socket got each message once as a live frame (and an ack for each of its own).
            assert sorted(client.counts["live"]) == list(range(1, total + 1))
            assert sum(client.counts["ack"].values()) == each
            client.assert_no_duplicates()
            assert {m["body"] for m in client.timeline.values()} == {f"{i}:{k}" for i in range(senders)
                                                                    for k in range(each)}
    finally:
        await asyncio.gather(*(c.close() for c in clients))
