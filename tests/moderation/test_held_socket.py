"""Held messages and switches on the real socket (the whole ASGI stack on the Redis channel layer):
the sender hears ``held``, other members hear nothing until a moderator releases it, which reaches every socket with
the group's next seq; a removal tells only the sender; a read-only switch refuses sends and tells the group."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group as Role
from django.contrib.auth.models import Permission

from moderation.held import held_release, held_remove
from moderation.roles_measures import SENIOR_MODERATOR
from moderation.screening import reload
from moderation.screening.rules import rule_create
from moderation.switches import switch_toggle
from tests.factories import ORIGIN, UserFactory, add_member, make_group
from tests.groups.test_consumers import _user, connected, next_frame, next_messages, nothing_of

from . import screening_fixtures

_fresh_screening_state = screening_fixtures._fresh_screening_state

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@sync_to_async
def _world():
    owner = UserFactory()
    alice, alice_token = _user()
    bob, bob_token = _user()
    group = make_group(owner, name="读书会", category="interest")
    add_member(group, alice)
    add_member(group, bob)
    rule_create(actor=None, keyword="网上赌场", category="PLT-GAMBLING", action="hold")
    moderator = UserFactory(is_staff=True)
    moderator.user_permissions.add(Permission.objects.get(codename="review_screening"))
    moderator.groups.add(Role.objects.get(name=SENIOR_MODERATOR))
    reload.invalidate()
    return {"group": group, "alice": alice, "alice_token": alice_token, "bob": bob, "bob_token": bob_token,
            "moderator": moderator}


def _send_frame(group, client_id, body):
    return {"type": "send", "group": group.code, "client_id": client_id, "body": body}


@pytest.mark.clause("G10")
async def test_held_then_released_reaches_every_socket_with_the_next_seq():
    w = await _world()
    group = w["group"]
    async with connected(w["alice_token"]) as alice, connected(w["bob_token"]) as bob:
        await bob.send_json_to(_send_frame(group, "b1", "大家好"))
        assert (await next_frame(bob, "ack"))["message"]["seq"] == 1
        for comm in (alice, bob):
            await next_messages(comm, 1)
        await alice.send_json_to(_send_frame(group, "a1", "一起去网上赌场"))
        held = await next_frame(alice, "held")
        assert held["client_id"] == "a1" and held["group"] == group.code and held["held_id"]
        assert "审核" in held["detail"]
        await nothing_of(bob, "message")  # nobody else sees it or learns of it
        await sync_to_async(held_release)(moderator=w["moderator"], held_id=held["held_id"], origin=ORIGIN)
        for comm in (alice, bob):
            (message,) = await next_messages(comm, 1)
            assert (message["seq"], message["client_id"], message["body"]) == (2, "a1", "一起去网上赌场")
        # The sender's client asks again with the same client_id (after a notice or a reconnect): an ack.
        await alice.send_json_to(_send_frame(group, "a1", "一起去网上赌场"))
        ack = await next_frame(alice, "ack")
        assert ack["duplicate"] and ack["message"]["seq"] == 2


@pytest.mark.clause("G10")
async def test_removed_is_told_to_the_sender_only():
    w = await _world()
    group = w["group"]
    async with connected(w["alice_token"]) as alice, connected(w["bob_token"]) as bob:
        await alice.send_json_to(_send_frame(group, "a1", "网上赌场见"))
        held = await next_frame(alice, "held")
        await sync_to_async(held_remove)(moderator=w["moderator"], held_id=held["held_id"], reason="PLT-GAMBLING")
        notice = await next_frame(alice, "notice")
        assert "网上赌场见" in notice["text"]
        await nothing_of(bob, "notice")
        await alice.send_json_to(_send_frame(group, "a1", "网上赌场见"))
        error = await next_frame(alice, "error")
        assert (error["code"], error["client_id"]) == ("held_removed", "a1")


@pytest.mark.clause("G5a")
async def test_read_only_switch_tells_the_group_and_refuses_the_next_send():
    w = await _world()
    group = w["group"]
    async with connected(w["alice_token"]) as alice, connected(w["bob_token"]) as bob:
        await sync_to_async(switch_toggle)(actor=w["moderator"], kind="post", scope="interest", on=True,
                                           reason="演练", origin=ORIGIN)
        for comm in (alice, bob):
            notice = await next_frame(comm, "notice")
            assert "只读" in notice["text"]
        await alice.send_json_to(_send_frame(group, "a2", "还能说话吗"))
        error = await next_frame(alice, "error")
        assert (error["code"], error["client_id"]) == ("posting_stopped", "a2")
