"""Moderators' review of held and flagged messages (G10): release takes the group's next seq and is delivered live;
remove never delivers and tells the sender; nobody else learns of a held message."""

from __future__ import annotations

import pytest

from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups.models import Message
from groups.services.messages import Held, SendRequest, SendResult, message_send_many
from moderation.held import flagged_context, flagged_review, held_context, held_release, held_remove
from moderation.models_screening import FlaggedItem, HeldMessage
from tests.factories import ORIGIN, UserFactory

from . import screening_fixtures

_fresh_screening_state = screening_fixtures._fresh_screening_state
rule = screening_fixtures.rule
moderator = screening_fixtures.moderator
sent_events = screening_fixtures.sent_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(rule, group, alice, bob, member_of):
    rule("网上赌场", "PLT-GAMBLING", "hold")
    rule("免费领取", "PLT-SPAM", "flag")
    member_of(group, alice)
    member_of(group, bob)
    return group


def _send(user, group, body, cid):
    return message_send_many(requests=[SendRequest(user, group.code, body, cid, ORIGIN)])[0]


@pytest.mark.clause("G10")
def test_release_stores_with_the_next_seq_and_broadcasts(chat, alice, bob, moderator,
                                                         django_capture_on_commit_callbacks, sent_events):
    assert _send(bob, chat, "一", "b1").message.seq == 1
    held = _send(alice, chat, "网上赌场开业", "a1")
    assert isinstance(held, Held)
    assert _send(bob, chat, "二", "b2").message.seq == 2  # the others' stream has no gap meanwhile
    assert not Message.objects.filter(body="网上赌场开业").exists()
    with django_capture_on_commit_callbacks(execute=True):
        record = held_release(moderator=moderator, held_id=held.held_id, origin=ORIGIN)
    stored = Message.objects.get(sender=alice, client_id="a1")
    assert stored.seq == 3 and stored.body == "网上赌场开业"
    assert (record.status, record.decided_by_id, record.message_id_ref) == ("released", moderator.pk, stored.pk)
    assert list(Message.objects.filter(group=chat).order_by("seq").values_list("seq", flat=True)) == [1, 2, 3]
    frames = [e for names, e in sent_events if e.get("type") == "message.batch" and "a1" in e["frame"]]
    assert len(frames) == 1 and names_for(sent_events, frames[0]) == [f"group.{chat.code}"]
    assert LogEntry.objects.filter(kind="moderation.held_released", actor_id=moderator.pk).exists()
    # The sender's retry of that frame is now answered with the stored message.
    retry = _send(alice, chat, "网上赌场开业", "a1")
    assert isinstance(retry, SendResult) and retry.message.pk == stored.pk and not retry.created
    with pytest.raises(ApplicationError) as exc:
        held_release(moderator=moderator, held_id=held.held_id)
    assert exc.value.code == "held_not_pending"


def names_for(sent, event):
    return next(names for names, e in sent if e is event)


@pytest.mark.clause("G10")
def test_remove_never_delivers_and_tells_only_the_sender(chat, alice, moderator, django_capture_on_commit_callbacks,
                                                         sent_events):
    held = _send(alice, chat, "网上赌场开业", "a1")
    with django_capture_on_commit_callbacks(execute=True):
        record = held_remove(moderator=moderator, held_id=held.held_id, reason="PLT-GAMBLING", origin=ORIGIN)
    assert record.status == "removed" and not Message.objects.filter(client_id="a1").exists()
    assert [names for names, _ in sent_events] == [[f"user.{alice.pk}"]]
    notice = sent_events[0][1]
    assert notice["type"] == "user.notice" and "网上赌场开业" in notice["text"] and "赌博" in notice["text"]
    assert LogEntry.objects.filter(kind="moderation.held_removed").count() == 1
    # A retry of the removed frame is refused as removed: it is never stored.
    again = _send(alice, chat, "网上赌场开业", "a1")
    assert isinstance(again, ApplicationError) and again.code == "held_removed"
    assert "未通过审核" in again.detail("zh-hans")
    assert HeldMessage.objects.get().status == "removed"


def test_release_refused_when_the_sender_may_no_longer_post(chat, alice, moderator):
    from groups import services

    held = _send(alice, chat, "网上赌场开业", "a1")
    services.member_leave(user=alice, group=chat, origin=ORIGIN)
    with pytest.raises(ApplicationError) as exc:
        held_release(moderator=moderator, held_id=held.held_id)
    assert exc.value.code == "not_member"
    assert HeldMessage.objects.get().status == "held"  # still there: remove it instead


def test_only_reviewers_release_or_remove(chat, alice, bob):
    held = _send(alice, chat, "网上赌场开业", "a1")
    staff_without_role = UserFactory(is_staff=True)
    for user in (bob, staff_without_role):
        for act in (held_release, held_remove):
            with pytest.raises(ApplicationError) as exc:
                act(moderator=user, held_id=held.held_id)
            assert exc.value.code == "permission_denied"


def test_context_shows_the_messages_around_a_held_one(chat, alice, bob):
    for i in range(3):
        _send(bob, chat, f"之前{i}", f"b{i}")
    held = _send(alice, chat, "网上赌场开业", "a1")
    _send(bob, chat, "之后", "b9")
    lines = held_context(held=HeldMessage.objects.get(pk=held.held_id))
    assert [line.body for line in lines] == ["之前0", "之前1", "之前2", "网上赌场开业", "之后"]
    assert [line.this for line in lines].index(True) == 3


@pytest.mark.clause("G10")
def test_flagged_is_delivered_queued_with_context_and_reviewed(chat, alice, bob, moderator):
    _send(bob, chat, "你好", "b1")
    sent = _send(alice, chat, "免费领取", "a1")
    assert isinstance(sent, SendResult) and sent.message.seq == 2
    item = FlaggedItem.objects.get()
    lines = flagged_context(item=item)
    assert [(line.seq, line.this) for line in lines] == [(1, False), (2, True)]
    assert flagged_review(moderator=moderator, flag_ids=[item.pk]) == 1
    item.refresh_from_db()
    assert (item.status, item.decided_by_id) == ("cleared", moderator.pk)
    assert flagged_review(moderator=moderator, flag_ids=[item.pk]) == 0
