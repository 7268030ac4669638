"""Moderation's review texts (held, flagged, blocked) go after the retention period counted from the decision, as
removed messages' text does; never one still awaiting review, never one a legal hold covers (G13b). Compliance's
daily job computes the cutoff and the holds; moderation clears."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from django.utils import timezone

from compliance.services.holds import legal_hold_create, legal_hold_release
from compliance.services.removed_content import removed_content_clear, removed_content_cutoff
from compliance.tasks import removed_content_clear as removed_content_clear_task
from groupchat.core.models import LogEntry
from groups.models import Message
from groups.services.messages import SendRequest, message_send_many
from moderation.held import flagged_review, held_release, held_remove
from moderation.models_screening import BlockedAttempt, FlaggedItem, HeldMessage
from tests.factories import ORIGIN
from tests.moderation import screening_fixtures

from .conftest import NOW

_fresh_screening_state = screening_fixtures._fresh_screening_state
rule = screening_fixtures.rule
moderator = screening_fixtures.moderator

# Transactional: a blocked attempt's evidence commits on a connection of its own (it must outlive the refused send),
# so only a flush keeps it from the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True)

CLEARED = "按保存期限清除"


@pytest.fixture
def chat(rule, group, alice, bob, member_of):
    rule("网上赌场", "PLT-GAMBLING", "hold")
    rule("免费领取", "PLT-SPAM", "flag")
    rule("刷单返利", "PLT-FRAUD", "block")
    member_of(group, alice)
    member_of(group, bob)
    return group


def _send(user, group, body):
    return message_send_many(requests=[SendRequest(user, group.code, body, uuid4().hex, ORIGIN)])[0]


def _held(user, group, body, moderator, *, at, release=False) -> HeldMessage:
    """A held message decided by a moderator through the real services, its decision dated ``at``."""
    held_id = _send(user, group, body).held_id
    if release:
        held_release(moderator=moderator, held_id=held_id, origin=ORIGIN)
    else:
        held_remove(moderator=moderator, held_id=held_id, reason="PLT-GAMBLING", origin=ORIGIN)
    HeldMessage.objects.filter(pk=held_id).update(decided_at=at)
    return HeldMessage.objects.get(pk=held_id)


def _flagged(user, group, body, moderator, *, at) -> FlaggedItem:
    _send(user, group, body)
    item = FlaggedItem.objects.get(sender=user, body=body)
    flagged_review(moderator=moderator, flag_ids=[item.pk])
    FlaggedItem.objects.filter(pk=item.pk).update(decided_at=at)
    return item


def _blocked(user, group, body, *, at) -> BlockedAttempt:
    assert _send(user, group, body).code == "content_blocked"
    attempt = BlockedAttempt.objects.get(sender=user, body=body)
    BlockedAttempt.objects.filter(pk=attempt.pk).update(created_at=at)
    return attempt


def _text(row) -> str:
    return type(row).objects.get(pk=row.pk).body


@pytest.mark.clause("G13b")
def test_review_texts_stay_one_second_before_the_cutoff_and_go_one_second_after(chat, alice, bob, moderator):
    cutoff = removed_content_cutoff(NOW)
    inside, past = cutoff + timedelta(seconds=1), cutoff - timedelta(seconds=1)
    kept = [_held(alice, chat, "网上赌场一", moderator, at=inside), _flagged(alice, chat, "免费领取一", moderator, at=inside),
            _blocked(alice, chat, "刷单返利一", at=inside)]
    gone = [_held(alice, chat, "网上赌场二", moderator, at=past),
            _held(bob, chat, "网上赌场三", moderator, at=past, release=True),
            _flagged(alice, chat, "免费领取二", moderator, at=past), _blocked(alice, chat, "刷单返利二", at=past)]
    waiting = _send(bob, chat, "网上赌场四")  # never decided: still in the queue, whatever its age
    HeldMessage.objects.filter(pk=waiting.held_id).update(created_at=past - timedelta(days=30))

    assert removed_content_clear(now=NOW) == 4
    assert [_text(row) for row in kept] == ["网上赌场一", "免费领取一", "刷单返利一"]
    assert [_text(row) for row in gone] == ["", "", "", ""]
    assert all(type(row).objects.get(pk=row.pk).content_cleared_at for row in gone)
    assert HeldMessage.objects.get(pk=waiting.held_id).body == "网上赌场四"
    # The released one's delivered message is the chat's, not moderation's copy: it stays.
    assert Message.objects.filter(body="网上赌场三", removed_at__isnull=True).exists()
    records = {r.data["kind"]: r.data for r in LogEntry.objects.filter(kind="moderation.content_cleared")}
    assert {kind: sorted(data["ids"]) for kind, data in records.items()} == {
        "held_message": sorted([gone[0].pk, gone[1].pk]), "flagged_item": [gone[2].pk],
        "blocked_attempt": [gone[3].pk]}
    assert all(data["decided_before"] == cutoff.isoformat() for data in records.values())
    # A day later the ones inside are past the cutoff too.
    assert removed_content_clear(now=NOW + timedelta(days=1)) == 3
    assert [_text(row) for row in kept] == ["", "", ""]


@pytest.mark.clause("G13b")
def test_a_legal_hold_keeps_review_texts_until_it_is_released(chat, alice, bob, moderator, officer):
    old = removed_content_cutoff(NOW) - timedelta(days=3)
    alices = [_held(alice, chat, "网上赌场甲", moderator, at=old), _blocked(alice, chat, "刷单返利甲", at=old)]
    bobs = [_flagged(bob, chat, "免费领取乙", moderator, at=old), _blocked(bob, chat, "刷单返利乙", at=old)]
    hold = legal_hold_create(actor=officer, authority="某市公安局", document_number="保〔2027〕9号", reason="案件调查",
                             user_id=alice.pk)

    assert removed_content_clear(now=NOW) == 2
    assert [_text(row) for row in alices] == ["网上赌场甲", "刷单返利甲"]
    assert [_text(row) for row in bobs] == ["", ""]

    legal_hold_release(actor=officer, hold_id=hold.pk, reason="结案")
    assert removed_content_clear(now=NOW) == 2
    assert [_text(row) for row in alices] == ["", ""]


@pytest.mark.clause("G13b")
def test_the_daily_task_clears_review_texts_once_and_a_second_run_changes_nothing(chat, alice, moderator):
    long_ago = timezone.now() - timedelta(days=400)  # the task's clock is real
    rows = [_held(alice, chat, "网上赌场旧", moderator, at=long_ago), _blocked(alice, chat, "刷单返利旧", at=long_ago)]
    assert removed_content_clear_task.delay().get() == 2
    marks = [type(row).objects.get(pk=row.pk).content_cleared_at for row in rows]
    assert all(marks)
    records = LogEntry.objects.filter(kind="moderation.content_cleared").count()
    assert removed_content_clear_task.delay().get() == 0
    assert [type(row).objects.get(pk=row.pk).content_cleared_at for row in rows] == marks
    assert LogEntry.objects.filter(kind="moderation.content_cleared").count() == records == 2


@pytest.mark.clause("G13b")
def test_the_admin_says_a_text_was_cleared_and_when(chat, alice, moderator, admin_client):
    old = removed_content_cutoff(NOW) - timedelta(days=1)
    held = _held(alice, chat, "网上赌场看", moderator, at=old)
    blocked = _blocked(alice, chat, "刷单返利看", at=old)
    flagged = _flagged(alice, chat, "免费领取看", moderator, at=old)
    removed_content_clear(now=NOW)
    day = timezone.localtime(HeldMessage.objects.get(pk=held.pk).content_cleared_at).date().isoformat()
    # Each page names the clearing and its day instead of the text. (A flagged message's page still shows the
    # delivered message in its context: that is the chat's, which follows the chat's own rules.)
    pages = {"heldmessage": "网上赌场看", f"heldmessage/{held.pk}/change": "网上赌场看", "blockedattempt": "刷单返利看",
             f"blockedattempt/{blocked.pk}/change": "刷单返利看", "flaggeditem": "免费领取看",
             f"flaggeditem/{flagged.pk}/change": None}
    for url, original in pages.items():
        page = admin_client.get(f"/admin/moderation/{url}/")
        assert page.status_code == 200, url
        text = page.content.decode()
        assert CLEARED in text and day in text, url
        assert original is None or original not in text, url
