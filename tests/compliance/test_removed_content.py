"""Recalled and removed messages: their text stays for the log's retention, counted from the removal, then goes;
never while a legal hold covers them (G13b). Compliance computes the cutoff and the holds; groups clears."""

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance import conf
from compliance.services.holds import legal_hold_create, legal_hold_release
from compliance.services.removed_content import removed_content_clear, removed_content_cutoff
from compliance.tasks import removed_content_clear as removed_content_clear_task
from groupchat.celery import app
from groupchat.core.models import LogEntry
from groups import services
from groups.models import Message
from tests.factories import ORIGIN, add_member, make_group

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(owner, alice, bob):
    group = make_group(owner)
    add_member(group, alice)
    add_member(group, bob)
    return group


def _removed(sender, group, body, *, at):
    message = services.message_send(sender=sender, group_code=group.code, body=body, client_id=body,
                                    origin=ORIGIN).message
    services.message_remove(actor=sender, group=group, message_id=message.pk, origin=ORIGIN)
    Message.objects.filter(pk=message.pk).update(removed_at=at)
    return message


def _body(message) -> str:
    return Message.objects.get(pk=message.pk).body


@pytest.mark.clause("G13b")
def test_text_stays_one_second_before_the_cutoff_and_goes_one_second_after(chat, alice):
    cutoff = removed_content_cutoff(NOW)
    assert cutoff == NOW - timedelta(days=conf.retention_days()) and conf.retention_days() >= conf.LEGAL_FLOOR_DAYS
    inside = _removed(alice, chat, "保留期内", at=cutoff + timedelta(seconds=1))
    past = _removed(alice, chat, "保留期外", at=cutoff - timedelta(seconds=1))
    assert removed_content_clear(now=NOW) == 1
    assert (_body(inside), _body(past)) == ("保留期内", "")
    # A day later the first one is past the cutoff too.
    assert removed_content_clear(now=NOW + timedelta(days=1)) == 1 and _body(inside) == ""


@pytest.mark.clause("G13b")
def test_a_legal_hold_keeps_the_text_until_it_is_released(chat, owner, alice, bob, officer):
    old = removed_content_cutoff(NOW) - timedelta(days=3)
    by_alice = _removed(alice, chat, "甲的旧消息", at=old)
    by_bob = _removed(bob, chat, "乙的旧消息", at=old)
    other_group = make_group(owner, name="另一个群")
    add_member(other_group, bob)
    elsewhere = _removed(bob, other_group, "别的群的旧消息", at=old)
    on_alice = legal_hold_create(actor=officer, authority="某市公安局", document_number="保〔2027〕1号",
                                 reason="案件调查", user_id=alice.pk)
    legal_hold_create(actor=officer, authority="某市公安局", document_number="保〔2027〕2号", reason="案件调查",
                      group_code=other_group.code)
    sent = Message.objects.get(pk=by_bob.pk).created_at
    legal_hold_create(actor=officer, authority="某市公安局", document_number="保〔2027〕3号", reason="案件调查",
                      starts_at=sent + timedelta(days=1), ends_at=sent + timedelta(days=2))  # covers nothing here

    assert removed_content_clear(now=NOW) == 1
    assert (_body(by_alice), _body(by_bob), _body(elsewhere)) == ("甲的旧消息", "", "别的群的旧消息")

    legal_hold_release(actor=officer, hold_id=on_alice.pk, reason="结案")
    assert removed_content_clear(now=NOW) == 1
    assert (_body(by_alice), _body(elsewhere)) == ("", "别的群的旧消息")


@pytest.mark.clause("G13b")
def test_the_daily_task_clears_once_and_a_second_run_changes_nothing(chat, alice):
    message = _removed(alice, chat, "很久以前撤回", at=timezone.now() - timedelta(days=400))  # the task's clock is real
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "compliance.tasks.removed_content_clear" in schedule

    assert removed_content_clear_task.delay().get() == 1
    cleared = Message.objects.get(pk=message.pk)
    assert cleared.body == "" and cleared.content_cleared_at is not None
    records = LogEntry.objects.filter(kind="message.content_cleared").count()
    assert removed_content_clear_task.delay().get() == 0
    assert Message.objects.get(pk=message.pk).content_cleared_at == cleared.content_cleared_at
    assert LogEntry.objects.filter(kind="message.content_cleared").count() == records == 1
