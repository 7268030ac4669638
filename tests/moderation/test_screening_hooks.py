"""The message.screen batch hook and the text.screen hook (G10): verdicts, evidence, held and flagged records,
tier intensity and grade-based holding; first called directly, then through the real send path."""

from __future__ import annotations

import pytest

from accounts.models import User
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups.models import Message, ScreeningIntensity, TierPolicy
from groups.services.messages import Held, SendRequest, SendResult, message_send_many
from moderation.models_screening import BlockedAttempt, FlaggedItem, HeldMessage
from moderation.screening import reload
from moderation.screening.hooks import message_screen, text_screen
from tests.factories import ORIGIN

from . import screening_fixtures

_fresh_screening_state = screening_fixtures._fresh_screening_state
items_for = screening_fixtures.items_for
rule = screening_fixtures.rule

# Transactional: a blocked attempt's evidence is written on its own connection (so a refusal that rolls back the
# caller's transaction keeps it), which a test's wrapping transaction would not roll back.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rules(rule):
    rule("刷单返利", "PLT-FRAUD", "block")
    rule("网上赌场", "PLT-GAMBLING", "hold", pinyin=True)
    rule("免费领取", "PLT-SPAM", "flag")


@pytest.fixture
def alice_in(group, alice, member_of):
    return member_of(group, alice)


@pytest.mark.clause("G10")
def test_one_batch_gets_one_verdict_per_item_in_order(rules, alice_in):
    items = items_for(alice_in, "你好", "刷 單 返 利", "来 wang shang du chang 玩", "免费领取礼品", "再见")
    verdicts = message_screen(items=items)
    assert [v.action for v in verdicts] == ["pass", "refuse", "hold", "flag", "pass"]
    refused = verdicts[1]
    assert refused.error.code == "content_blocked" and refused.category == "PLT-FRAUD"
    assert "诈骗" in refused.error.detail("zh-hans") and "Fraud" in refused.error.detail("en")
    assert refused.error.extra == {"category": "PLT-FRAUD"}
    evidence = BlockedAttempt.objects.get()
    assert (evidence.sender_id, evidence.group_id, evidence.client_id, evidence.body) == (
        alice_in.user_id, alice_in.group_id, "c1", "刷 單 返 利")
    held = HeldMessage.objects.get()
    assert verdicts[2].held_id == held.pk and held.status == "held" and held.category == "PLT-GAMBLING"
    assert LogEntry.objects.filter(kind="message.held", actor_id=alice_in.user_id).count() == 1
    flag = FlaggedItem.objects.get()
    assert (flag.sender_id, flag.client_id, flag.status) == (alice_in.user_id, "c3", "open")


@pytest.mark.clause("G10")
def test_hold_is_idempotent_on_sender_and_client_id(rules, alice_in):
    first = message_screen(items=items_for(alice_in, "网上赌场"))[0]
    again = message_screen(items=items_for(alice_in, "网上赌场"))[0]
    assert first.action == again.action == "hold" and first.held_id == again.held_id
    assert HeldMessage.objects.count() == 1
    assert LogEntry.objects.filter(kind="message.held").count() == 1


def test_no_rules_means_no_query_per_batch(alice_in, django_assert_num_queries):
    message_screen(items=items_for(alice_in, "warm-up"))  # the first call of the second polls the versions
    with django_assert_num_queries(0):
        verdicts = message_screen(items=items_for(alice_in, *[f"消息{i}" for i in range(20)]))
    assert {v.action for v in verdicts} == {"pass"}


def _set_intensity(group, intensity: str) -> None:
    """As the admin does (a save bumps the tiers' ``updated_at``, which every process polls)."""
    tier = TierPolicy.objects.get(pk=group.tier_id)
    tier.screening_intensity = intensity
    tier.save()
    reload.invalidate()


@pytest.mark.clause("G10")
def test_enhanced_intensity_holds_what_would_be_flagged(rules, alice_in):
    _set_intensity(alice_in.group, ScreeningIntensity.ENHANCED)
    verdict = message_screen(items=items_for(alice_in, "免费领取"))[0]
    assert verdict.action == "hold"
    assert HeldMessage.objects.get().reason == "intensity"
    assert message_screen(items=items_for(alice_in, "你好", prefix="x"))[0].action == "pass"


@pytest.mark.clause("G10")
def test_strict_intensity_holds_every_message_of_grade_c_or_below(rules, group, alice_in, bob, member_of):
    _set_intensity(group, ScreeningIntensity.STRICT)
    bob_in = member_of(group, bob)
    User.objects.filter(pk=bob.pk).update(credit_score=55)  # grade C
    User.objects.filter(pk=alice_in.user_id).update(credit_score=95)  # grade A
    verdicts = message_screen(items=[*items_for(alice_in, "你好"), *items_for(bob_in, "你好", prefix="b")])
    assert [v.action for v in verdicts] == ["pass", "hold"]
    assert HeldMessage.objects.get().reason == "grade"


@pytest.mark.clause("G10")
def test_text_screen_refuses_blocked_and_held_texts_and_keeps_evidence(rules, alice):
    with pytest.raises(ApplicationError) as exc:
        text_screen(text="网上赌场俱乐部", field="group_name", user=alice)
    assert exc.value.code == "content_blocked" and "赌博" in exc.value.detail("zh-hans")
    text_screen(text="免费领取", field="announcement", user=alice)  # flag: allowed, queued
    text_screen(text="读书会", field="group_name", user=alice)
    attempt = BlockedAttempt.objects.get()
    assert (attempt.field, attempt.sender_id, attempt.category) == ("group_name", alice.pk, "PLT-GAMBLING")
    assert FlaggedItem.objects.get().field == "announcement"


# --- through the real send path --------------------------------------------------------------------------------


@pytest.mark.clause("G10")
def test_send_path_block_hold_flag_and_seq_stays_contiguous(rules, group, alice_in):
    def req(body, cid):
        return SendRequest(alice_in.user, group.code, body, cid, ORIGIN)

    outcomes = message_send_many(requests=[req("第一条", "a"), req("刷单返利", "b"), req("网上赌场", "c"),
                                           req("免费领取", "d"), req("第五条", "e")])
    assert isinstance(outcomes[0], SendResult) and outcomes[0].message.seq == 1
    assert isinstance(outcomes[1], ApplicationError) and outcomes[1].code == "content_blocked"
    assert isinstance(outcomes[2], Held) and outcomes[2].held_id == HeldMessage.objects.get().pk
    assert isinstance(outcomes[3], SendResult) and outcomes[3].message.seq == 2
    assert isinstance(outcomes[4], SendResult) and outcomes[4].message.seq == 3
    assert list(Message.objects.filter(group=group).order_by("seq").values_list("body", flat=True)) == [
        "第一条", "免费领取", "第五条"]
    assert FlaggedItem.objects.get().client_id == "d"
    # A retry of the held frame gets the same answer.
    again = message_send_many(requests=[req("网上赌场", "c")])[0]
    assert isinstance(again, Held) and again.held_id == outcomes[2].held_id


@pytest.mark.clause("G10")
def test_group_texts_and_nicknames_are_screened_on_create_and_edit(rules, owner, alice):
    from accounts.services import user_register, user_update_profile
    from groups import services
    from tests.factories import make_group

    for kwargs in ({"name": "网上赌场群"}, {"name": "好群", "announcement": "刷单返利"},
                   {"name": "好群", "rules": "欢迎刷单返利"}, {"name": "好群", "join_question": "网上赌场在哪"}):
        with pytest.raises(ApplicationError) as exc:
            make_group(owner, **kwargs)
        assert exc.value.code == "content_blocked", kwargs
    group = make_group(owner, name="读书会")
    for field in ("name", "announcement", "rules", "join_question"):
        with pytest.raises(ApplicationError) as exc:
            services.group_update(actor=owner, group=group, origin=ORIGIN, **{field: "刷单返利"})
        assert exc.value.code == "content_blocked", field
    with pytest.raises(ApplicationError):
        user_update_profile(user=alice, nickname="网上赌场老板")
    with pytest.raises(ApplicationError):
        user_register(username="newbie", password="correct-horse-battery-9", nickname="刷单返利王", origin=ORIGIN)
    assert not User.objects.filter(username="newbie").exists()
    fields = set(BlockedAttempt.objects.values_list("field", flat=True))
    assert fields == {"group_name", "announcement", "rules", "join_question", "nickname"}
