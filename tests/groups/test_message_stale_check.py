"""No stale check (issue 13 item 4): a measure committed after a batch's check stage and before its store still
refuses the message. The tests force that interleaving: check a batch, commit the measure, then store."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from groupchat.core.errors import ApplicationError
from groups import services
from groups.models import Group, Message
from groups.services.messages import SendRequest, SendResult, message_batch_check, message_batch_store
from groups.services.platform import group_posting_suspend
from tests.factories import ORIGIN, UserFactory, make_group

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def room():
    owner = UserFactory()
    group = make_group(owner)
    alice, bob = UserFactory(), UserFactory()
    for user in (alice, bob):
        services.group_join(user=user, group=group, origin=ORIGIN)
    return group, owner, alice, bob


def _checked(group, *senders):
    return message_batch_check(requests=[SendRequest(u, group.code, f"来自{u.pk}", f"stale-{u.pk}", ORIGIN)
                                         for u in senders])


def _codes(outcomes):
    return [o.code if isinstance(o, ApplicationError) else "stored" for o in outcomes]


def _remove(group, owner, alice):
    services.member_remove(actor=owner, group=group, target=alice, origin=ORIGIN)


def _mute(group, owner, alice):
    services.member_mute(actor=owner, group=group, target=alice, minutes=10, origin=ORIGIN)


def _suspend(group, owner, alice):
    group_posting_suspend(actor=None, group=group, until=timezone.now() + timedelta(hours=1), reason="整改")


def _close(group, owner, alice):
    services.group_close(actor=owner, group=group, reason="解散", origin=ORIGIN)


@pytest.mark.clause("G9b")
@pytest.mark.parametrize(("measure", "alice_code", "bob_code"), [
    (_remove, "not_member", "stored"),
    (_mute, "muted", "stored"),
    (_suspend, "group_suspended", "group_suspended"),
    (_close, "group_closed", "group_closed"),
])
def test_a_measure_committed_between_check_and_store_refuses_the_checked_message(room, measure, alice_code,
                                                                                 bob_code):
    group, owner, alice, bob = room
    plan = _checked(group, alice, bob)
    assert [o for o in plan.outcomes if o is not None] == []  # both passed every check
    measure(group, owner, alice)  # committed (autocommit: each service is its own transaction)
    outcomes = message_batch_store(plan=plan)
    assert _codes(outcomes) == [alice_code, bob_code]
    stored = list(Message.objects.filter(group=group).values_list("sender_id", "seq"))
    assert stored == ([(bob.pk, 1)] if bob_code == "stored" else [])
    assert Group.objects.get(pk=group.pk).last_seq == len(stored)  # no seq was taken for the refused


@pytest.mark.clause("G11b")
def test_an_account_deactivated_between_check_and_store_cannot_post(room):
    from accounts.services import user_deactivate

    group, _, alice, bob = room
    plan = _checked(group, alice, bob)
    user_deactivate(user=alice, actor=None, reason="违规", origin=ORIGIN)
    assert _codes(message_batch_store(plan=plan)) == ["account_inactive", "stored"]


def test_a_measure_still_open_when_the_store_runs_is_waited_for_and_then_applies(room):
    """The race itself: the measure's transaction holds the group row when the store starts. The store's lock waits
    for it, reads the moved send gate, and checks the batch again: refused, with nothing stored in between."""
    group, owner, alice, _ = room
    plan = _checked(group, alice)
    locked, release, done = threading.Event(), threading.Event(), threading.Event()
    result: dict = {}

    def measure() -> None:
        try:
            with transaction.atomic():
                _mute(group, owner, alice)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    def store() -> None:
        try:
            result["outcomes"] = message_batch_store(plan=plan)
        finally:
            done.set()
            connection.close()

    t1 = threading.Thread(target=measure)
    t1.start()
    assert locked.wait(10)
    t2 = threading.Thread(target=store)
    t2.start()
    assert not done.wait(0.3)  # the store waits on the group row the open measure holds
    release.set()
    t1.join(10)
    t2.join(10)
    assert _codes(result["outcomes"]) == ["muted"]
    assert not Message.objects.filter(group=group).exists()


def test_an_unrelated_write_to_the_group_does_not_make_the_store_check_again(room, django_assert_max_num_queries):
    """Only measures move the send gate: a message stored by someone else meanwhile changes nothing for the batch."""
    group, _, alice, bob = room
    plan = _checked(group, alice)
    services.message_send(sender=bob, group_code=group.code, body="插队", client_id="between", origin=ORIGIN)
    with django_assert_max_num_queries(2):  # the one statement (and its PREPARE on first use)
        [outcome] = message_batch_store(plan=plan)
    assert isinstance(outcome, SendResult) and outcome.message.seq == 2
    assert User.objects.get(pk=alice.pk).is_active
