"""Removed messages' text goes after the retention period (G13b): groups' ``messages_content_clear`` empties it in
batches, keeps what the caller says to keep, records what it did, and never does it twice."""

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from groupchat.core.models import LogEntry
from groups import services
from groups.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(group, alice, bob, member_of):
    for user in (alice, bob):
        member_of(group, user)
    return group


def _say(user, group, origin, body, client_id) -> Message:
    return services.message_send(sender=user, group_code=group.code, body=body, client_id=client_id,
                                 origin=origin).message


def _removed(actor, group, message, origin, *, ago: timedelta) -> Message:
    """Remove ``message`` through the real service, then date the removal ``ago`` back."""
    services.message_remove(actor=actor, group=group, message_id=message.pk, origin=origin)
    Message.objects.filter(pk=message.pk).update(removed_at=timezone.now() - ago)
    return Message.objects.get(pk=message.pk)


@pytest.fixture
def messages(chat, owner, alice, bob, origin):
    old_recalled = _removed(alice, chat, _say(alice, chat, origin, "早已撤回的话", "a1"), origin, ago=timedelta(days=200))
    old_deleted = _removed(owner, chat, _say(bob, chat, origin, "早已删除的广告", "b1"), origin, ago=timedelta(days=195))
    recent = _removed(alice, chat, _say(alice, chat, origin, "昨天撤回的话", "a2"), origin, ago=timedelta(days=1))
    shown = _say(bob, chat, origin, "还在的消息", "b2")
    return {"old_recalled": old_recalled, "old_deleted": old_deleted, "recent": recent, "shown": shown}


def _bodies(messages):
    rows = dict(Message.objects.filter(pk__in=[m.pk for m in messages.values()]).values_list("id", "body"))
    return {name: rows[m.pk] for name, m in messages.items()}


@pytest.mark.clause("G13b")
def test_only_messages_removed_before_the_cutoff_lose_their_text_in_batches_each_recorded(messages):
    cutoff = timezone.now() - timedelta(days=190)
    assert services.messages_content_clear(removed_before=cutoff, batch=1) == 2
    assert _bodies(messages) == {"old_recalled": "", "old_deleted": "", "recent": "昨天撤回的话", "shown": "还在的消息"}
    cleared = Message.objects.get(pk=messages["old_deleted"].pk)
    # The row keeps its place, its removal and who did it; only the text is gone.
    assert cleared.content_cleared_at is not None and cleared.removed_at == messages["old_deleted"].removed_at
    assert cleared.removed_by_id == messages["old_deleted"].removed_by_id and cleared.seq == messages["old_deleted"].seq
    assert Message.objects.get(pk=messages["recent"].pk).content_cleared_at is None
    records = list(LogEntry.objects.filter(kind="message.content_cleared").order_by("id"))
    assert [r.data["message_ids"] for r in records] == [[messages["old_recalled"].pk], [messages["old_deleted"].pk]]
    assert all(r.data["count"] == 1 and r.data["removed_before"] == cutoff.isoformat() for r in records)


@pytest.mark.clause("G13b")
def test_what_the_caller_keeps_is_kept_and_a_second_run_changes_nothing(messages, alice):
    cutoff = timezone.now() - timedelta(days=190)
    assert services.messages_content_clear(removed_before=cutoff, keep=Q(sender_id=alice.pk)) == 1
    assert _bodies(messages)["old_recalled"] == "早已撤回的话" and _bodies(messages)["old_deleted"] == ""
    first = dict(Message.objects.values_list("id", "content_cleared_at"))
    records = LogEntry.objects.filter(kind="message.content_cleared").count()

    assert services.messages_content_clear(removed_before=cutoff, keep=Q(sender_id=alice.pk)) == 0
    assert dict(Message.objects.values_list("id", "content_cleared_at")) == first
    assert LogEntry.objects.filter(kind="message.content_cleared").count() == records == 1


@pytest.mark.clause("G13b")
def test_removed_and_cleared_messages_are_never_shown_to_users(chat, messages, bob, api, client, admin_client):
    services.messages_content_clear(removed_before=timezone.now() - timedelta(days=190))
    history = {m["seq"]: m for m in api(bob).get(f"/api/v1/groups/{chat.code}/messages/").json()["results"]}
    for name in ("old_recalled", "old_deleted", "recent"):  # cleared or not yet: removed, in place, without text
        row = history[messages[name].seq]
        assert row["removed"] is True and row["body"] == "", name
    assert history[messages["shown"].seq]["body"] == "还在的消息"

    # The group list's last-message preview of a removed message has no text either.
    Message.objects.filter(pk=messages["shown"].pk).update(removed_at=timezone.now())
    mine = api(bob).get("/api/v1/groups/").json()["results"]
    last = next(g["last_message"] for g in mine if g["code"] == chat.code)
    assert last["removed"] is True and last["body"] == ""

    # Reporting a removed message names it as removed and does not show its text.
    client.force_login(bob)
    page = client.get(f"/report/?target=message:{messages['recent'].pk}").content.decode()
    assert "昨天撤回的话" not in page and "message removed" in page

    # Staff see a cleared row as removed, with the time its text was cleared and no text.
    page = admin_client.get(f"/admin/groups/message/{messages['old_deleted'].pk}/change/").content.decode()
    assert "早已删除的广告" not in page and "内容清除时间" in page
