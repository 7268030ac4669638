"""Measures reach open sockets live (through the whole ASGI stack on the Redis channel layer), and the socket's send
path refuses what a measure forbids."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework.authtoken.models import Token

from groupchat.asgi import application
from groups.models import Message
from moderation.measures import CLOSE_FORCED, measure_issue
from moderation.models_measures import MeasureKind
from tests.factories import ORIGIN, UserFactory, add_member, make_group

from .measures_helpers import moderator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN_HEADER = [(b"origin", b"http://127.0.0.1")]


@contextlib.asynccontextmanager
async def connected(user):
    token = await sync_to_async(lambda: Token.objects.get_or_create(user=user)[0].key)()
    comm = WebsocketCommunicator(application, f"/ws/?token={token}", headers=ORIGIN_HEADER)
    ok, _ = await comm.connect(timeout=5)
    assert ok
    assert (await comm.receive_json_from(timeout=5))["type"] == "hello"
    try:
        yield comm
    finally:
        with contextlib.suppress(Exception):
            await comm.disconnect()


async def next_frame(comm, type_: str, timeout: float = 5) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await comm.receive_json_from(timeout=max(0.01, deadline - loop.time()))
        if frame["type"] == type_:
            return frame


async def closed_with(comm, timeout: float = 5) -> int:
    """Read the socket's output until the server closes it; the close code."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        output = await comm.receive_output(timeout=max(0.01, deadline - loop.time()))
        if output["type"] == "websocket.close":
            return output.get("code")


@pytest.fixture
def world(db):
    owner, alice, bob = UserFactory(), UserFactory(), UserFactory()
    group = make_group(owner)
    add_member(group, alice)
    add_member(group, bob)
    return {"owner": owner, "alice": alice, "bob": bob, "group": group, "mod": moderator()}


def issue(w, kind, **kwargs):
    kwargs.setdefault("until", timezone.now() + timedelta(days=1))
    return sync_to_async(measure_issue)(kind=kind, operator=w["mod"], reason_code="PLT-SPAM",
                                        evidence={"t": 1}, origin=ORIGIN, **kwargs)


@pytest.mark.clause("G11b")
async def test_force_offline_tells_then_closes_every_socket_of_the_user(world):
    async with connected(world["alice"]) as tab1, connected(world["alice"]) as tab2, connected(world["bob"]) as bob:
        await issue(world, MeasureKind.FORCE_OFFLINE, target_user=world["alice"], until=None)
        for tab in (tab1, tab2):
            notice = await next_frame(tab, "notice")
            assert notice["text"]
            assert await closed_with(tab) == CLOSE_FORCED
        assert await bob.receive_nothing(timeout=0.2)


@pytest.mark.clause("G11c")
async def test_blacklisted_user_is_closed_and_refused_on_a_new_socket(world):
    async with connected(world["alice"]) as tab:
        await issue(world, MeasureKind.BLACKLIST, target_user=world["alice"])
        assert await closed_with(tab) == CLOSE_FORCED
    async with connected(world["alice"]) as again:
        await again.send_json_to({"type": "send", "group": world["group"].code, "client_id": "b1", "body": "hi"})
        error = await next_frame(again, "error")
        assert error["code"] == "blacklisted" and error["client_id"] == "b1"
    assert not await sync_to_async(Message.objects.filter(sender=world["alice"]).exists)()


@pytest.mark.clause("G11a")
async def test_posting_suspension_reaches_members_live_and_the_next_send_is_refused(world):
    async with connected(world["alice"]) as alice, connected(world["bob"]) as bob:
        await issue(world, MeasureKind.SUSPEND_POSTING, target_group=world["group"])
        for comm in (alice, bob):
            status = await next_frame(comm, "group_status")
            assert status["group"] == world["group"].code and status["status"] == "suspended" and status["until"]
        await alice.send_json_to({"type": "send", "group": world["group"].code, "client_id": "s1", "body": "hi"})
        assert (await next_frame(alice, "error"))["code"] == "group_suspended"


@pytest.mark.clause("G11b")
async def test_platform_mute_is_told_and_refuses_socket_sends(world):
    async with connected(world["alice"]) as alice:
        await issue(world, MeasureKind.MUTE_PLATFORM, target_user=world["alice"])
        assert (await next_frame(alice, "notice"))["level"] == "warning"
        await alice.send_json_to({"type": "send", "group": world["group"].code, "client_id": "m1", "body": "hi"})
        error = await next_frame(alice, "error")
        assert error["code"] == "muted_platform" and error["until"]
