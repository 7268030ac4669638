"""Deleting a message hides it from everyone, live; the server keeps the row for the network log (G13b)."""

import pytest

from groupchat.core.broadcast import group_channel_group
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups import services
from groups.models import AuditAction, GroupAuditEvent, Message
from tests.factories import make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(owner, alice, bob, member_of):
    group = make_group(owner)
    member_of(group, alice)
    member_of(group, bob)
    return group


def _say(user, group, origin, body="秘密内容", client_id="c1"):
    return services.message_send(sender=user, group_code=group.code, body=body, client_id=client_id,
                                 origin=origin).message


@pytest.mark.clause("G13b")
def test_recall_hides_the_message_for_everyone_but_the_server_keeps_it(chat, alice, bob, origin, api, sent_events,
                                                                       django_capture_on_commit_callbacks):
    message = _say(alice, chat, origin)
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_remove(actor=alice, group=chat, message_id=message.pk, origin=origin)

    row = Message.objects.get(pk=message.pk)
    assert row.body == "秘密内容" and row.removed_at is not None and row.removed_by == alice
    history = api(bob).get(f"/api/v1/groups/{chat.code}/messages/").json()["results"]
    assert history[0]["removed"] is True and history[0]["body"] == "" and history[0]["seq"] == message.seq
    assert sent_events == [([group_channel_group(chat.code)], {
        "type": "message.removed", "group": chat.code, "message_id": message.pk, "seq": message.seq, "reason": "",
    })]
    entry = LogEntry.objects.get(kind="message.recalled")
    assert entry.actor_id == alice.pk and entry.data["message_id"] == message.pk and entry.ip == origin.ip
    # A sender's own recall is not an admin action.
    assert not GroupAuditEvent.objects.filter(action=AuditAction.DELETE_MESSAGE).exists()


@pytest.mark.clause("G9b")
def test_admin_delete_is_live_audited_and_keeps_the_row(chat, owner, alice, origin, api, sent_events,
                                                        django_capture_on_commit_callbacks):
    message = _say(alice, chat, origin)
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(owner).delete(f"/api/v1/groups/{chat.code}/messages/{message.pk}/", {"reason": "广告"},
                                     format="json")
    assert response.status_code == 204
    assert Message.objects.get(pk=message.pk).body == "秘密内容"
    event = GroupAuditEvent.objects.get(action=AuditAction.DELETE_MESSAGE)
    assert event.actor == owner and event.target == alice and event.data["reason"] == "广告"
    assert LogEntry.objects.filter(kind="group.delete_message", actor_id=owner.pk, target_id=alice.pk).exists()
    assert [e["type"] for _, e in sent_events] == ["message.removed"] and sent_events[0][1]["reason"] == "广告"


def test_delete_is_idempotent_and_checks_the_group(chat, owner, alice, origin, sent_events,
                                                   django_capture_on_commit_callbacks):
    message = _say(alice, chat, origin)
    other = make_group(owner, name="别的群")
    with pytest.raises(ApplicationError) as err:
        services.message_remove(actor=owner, group=other, message_id=message.pk, origin=origin)
    assert err.value.code == "message_not_found"
    services.message_remove(actor=owner, group=chat, message_id=message.pk, origin=origin)
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_remove(actor=owner, group=chat, message_id=message.pk, origin=origin)
    assert sent_events == []
    assert GroupAuditEvent.objects.filter(action=AuditAction.DELETE_MESSAGE).count() == 1


def test_a_removed_message_keeps_its_place_in_the_sequence(chat, alice, origin, api):
    first = _say(alice, chat, origin, body="一", client_id="a")
    _say(alice, chat, origin, body="二", client_id="b")
    services.message_remove(actor=alice, group=chat, message_id=first.pk, origin=origin)
    results = api(alice).get(f"/api/v1/groups/{chat.code}/messages/").json()["results"]
    assert [(m["seq"], m["body"], m["removed"]) for m in results] == [(1, "", True), (2, "二", False)]
