"""Fan-out without a task per frame: the layer's direct receivers (real Redis pub/sub) and ``EagerSender``."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings

from groupchat.runtime.eager import EagerSender
from groupchat.runtime.layer import (
    FanoutPubSubChannelLayer,
    direct_receiver_set,
    group_add_many,
    group_send_many,
)

pytestmark = pytest.mark.asyncio


class Socket:
    """An ASGI ``send`` that takes frames at once, or, while ``paused``, waits as a server's does when the transport
    is paused."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.writable = asyncio.Event()
        self.writable.set()
        self.broken = False

    async def send(self, message: dict) -> None:
        await self.writable.wait()
        if self.broken:
            raise OSError("client gone")
        self.frames.append(message["text"])


def _frame(text: str) -> dict:
    return {"type": "websocket.send", "text": text}


async def test_a_socket_that_takes_frames_gets_them_in_the_callers_stack_without_a_task():
    socket = Socket()
    sender = EagerSender(socket.send)
    for i in range(3):
        sender.write(_frame(str(i)))
        assert socket.frames[-1] == str(i)  # already sent when write() returns
    assert sender.draining is None


async def test_a_paused_socket_gets_its_frames_in_order_later_and_holds_up_no_other():
    slow, quick = Socket(), Socket()
    slow.writable.clear()
    slow_sender, quick_sender = EagerSender(slow.send), EagerSender(quick.send)
    for i in range(5):
        slow_sender.write(_frame(str(i)))
        quick_sender.write(_frame(str(i)))
    assert quick.frames == ["0", "1", "2", "3", "4"] and slow.frames == []
    assert slow_sender.draining is not None and len(slow_sender.backlog) == 4
    # The drain task really waits while the socket stays paused (it once failed here: asyncio's C future refused the
    # second await of the future the send had already yielded, and the socket silently got nothing more).
    await asyncio.sleep(0.05)
    assert slow.frames == [] and not slow_sender.closed and not slow_sender.draining.done()
    slow.writable.set()
    await asyncio.wait_for(slow_sender.draining, 2)
    assert slow.frames == ["0", "1", "2", "3", "4"]
    slow_sender.write(_frame("5"))  # drained: back to sending at once
    assert slow.frames[-1] == "5" and slow_sender.draining is None


async def test_a_client_that_does_not_read_is_dropped_when_its_backlog_is_full():
    socket, dropped = Socket(), []
    socket.writable.clear()
    sender = EagerSender(socket.send, max_backlog=3, on_overflow=lambda: dropped.append(True))
    for i in range(5):  # one waiting in send, three in the backlog, the fifth overflows
        sender.write(_frame(str(i)))
    assert dropped == [True] and sender.closed and not sender.backlog
    sender.write(_frame("late"))
    socket.writable.set()
    await asyncio.sleep(0.05)
    assert "late" not in socket.frames and len(socket.frames) <= 1


async def test_a_gone_client_closes_the_sender_quietly():
    socket = Socket()
    socket.broken = True
    sender = EagerSender(socket.send)
    sender.write(_frame("x"))
    assert sender.closed and socket.frames == []


@pytest.fixture
def layer():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "groupchat.runtime.layer.FanoutPubSubChannelLayer"
    return FanoutPubSubChannelLayer(hosts=[settings.REDIS_URL], prefix="test-fanout")


async def test_a_group_event_reaches_direct_receivers_decoded_once_and_others_on_their_queue(layer):
    direct, queued = await layer.new_channel(), await layer.new_channel()
    taken: list[dict] = []
    assert direct_receiver_set(layer, direct, lambda event: taken.append(event) or event["type"] == "message.batch")
    await group_add_many(layer, ["g1"], direct)
    await group_add_many(layer, ["g1"], queued)
    await group_send_many(layer, [(["g1"], {"type": "message.batch", "frame": "F1"}),
                                  (["g1"], {"type": "typing.event", "who": 1})])
    first = await asyncio.wait_for(layer.receive(queued), 2)
    second = await asyncio.wait_for(layer.receive(queued), 2)
    assert [first["type"], second["type"]] == ["message.batch", "typing.event"]
    # The direct receiver took the message frame; the event it declined went to its queue as before.
    assert [e["type"] for e in taken] == ["message.batch", "typing.event"]
    declined = await asyncio.wait_for(layer.receive(direct), 2)
    assert declined == {"type": "typing.event", "who": 1}
    assert direct_receiver_set(layer, direct, None)
    await group_send_many(layer, [(["g1"], {"type": "message.batch", "frame": "F2"})])
    assert (await asyncio.wait_for(layer.receive(direct), 2))["frame"] == "F2"  # unregistered: queued again
    assert len(taken) == 2
    await layer.flush()


async def test_other_layers_have_no_direct_receivers():
    from channels.layers import InMemoryChannelLayer

    assert direct_receiver_set(InMemoryChannelLayer(), "x", lambda event: True) is False
