"""Measures against groups (G11a) and users (G11b): each kind's record, effect, lift, and what it refuses."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from accounts.models import CreditEvent, CreditSource
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groupchat.law import article_text
from groups import selectors, services
from groups.models import Group, GroupStatus, Membership, Message
from moderation.measures import evidence_digest, measure_issue, measure_lift
from moderation.models_measures import Change, Measure, MeasureKind, Restriction
from tests.factories import ORIGIN, make_group

from .measures_helpers import issue, moderator, refused, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod():
    return moderator()


@pytest.fixture
def sent_events(monkeypatch):
    """Every channel-layer broadcast made once a transaction commits, as ``(group names, event)``."""
    from groupchat.core import broadcast

    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(broadcast, "broadcast_now", lambda names, event: sent.append((list(names), event)))
    return sent


@pytest.fixture
def chat(owner, alice, member_of):
    group = make_group(owner)
    member_of(group, alice)
    return group


@pytest.mark.clause("G11a")
def test_a_measure_is_one_immutable_record_with_basis_and_hashed_evidence(chat, mod):
    evidence = {"message": "刷单返利", "seq": 3}
    measure = measure_issue(kind=MeasureKind.WARNING, operator=mod, reason_code="PLT-FRAUD", target_group=chat,
                            until=timezone.now() + timedelta(days=3), evidence=evidence, origin=ORIGIN)
    measure.refresh_from_db()
    assert (measure.basis_article, measure.basis_paragraph) == (11, 1)
    assert measure.basis_text == article_text(11, 1) and "第十一条第一款" in measure.basis_citation
    assert measure.evidence_sha256 == hashlib.sha256(orjson.dumps(evidence, option=orjson.OPT_SORT_KEYS)).hexdigest()
    assert measure.operator == mod and measure.report and measure.change == Change.ISSUE
    assert LogEntry.objects.filter(kind="measure.issue", data__measure=measure.pk).exists()
    measure.reason = "changed"
    with pytest.raises(PermissionError):
        measure.save()
    with pytest.raises(PermissionError):
        measure.delete()


@pytest.mark.clause("G11a")
def test_invalid_measures_are_refused_and_nothing_is_written(chat, alice, mod):
    cases = [
        (dict(kind=MeasureKind.MUTE_PLATFORM, target_group=chat), "measure_kind_invalid"),
        (dict(kind=MeasureKind.SUSPEND_POSTING, target_user=alice), "measure_kind_invalid"),
        (dict(kind=MeasureKind.SUSPEND_POSTING, target_group=chat, reason_code="NOPE"), "measure_reason_invalid"),
        (dict(kind=MeasureKind.SUSPEND_POSTING, target_group=chat, basis=(99, 1)), "measure_basis_invalid"),
        (dict(kind=MeasureKind.SUSPEND_POSTING, target_group=chat, until=None), "measure_until_required"),
        (dict(kind=MeasureKind.STARS_DOWN, target_group=chat, stars=5), "stars_not_lower"),
    ]
    for kwargs, code in cases:
        kwargs.setdefault("reason_code", "PLT-SPAM")
        kwargs.setdefault("until", timezone.now() + timedelta(hours=1))
        with pytest.raises(ApplicationError) as err:
            measure_issue(operator=mod, **kwargs)
        assert err.value.code == code
    assert not Measure.objects.exists()


@pytest.mark.clause("G11a")
def test_posting_suspension_refuses_posts_until_its_end_and_a_lift_is_a_new_record(chat, alice, mod):
    send(alice, chat, client_id="before")
    measure = issue(MeasureKind.SUSPEND_POSTING, operator=mod, target_group=chat, days=1)
    chat.refresh_from_db()
    assert chat.status == GroupStatus.SUSPENDED
    refused(alice, chat, "group_suspended", client_id="during")
    lift = measure_lift(measure=measure, operator=mod, reason="rectified", origin=ORIGIN)
    assert lift.change == Change.LIFT and lift.amends == measure
    assert Measure.objects.get(pk=measure.pk).ends_at == measure.ends_at  # the original is unchanged
    assert not Restriction.objects.filter(measure=measure).exists()
    send(alice, chat, client_id="after")
    with pytest.raises(ApplicationError) as err:
        measure_lift(measure=measure, operator=mod, reason="again", origin=ORIGIN)
    assert err.value.code == "measure_not_liftable"


@pytest.mark.clause("G11a")
def test_shortening_is_a_new_record_and_moves_the_end(chat, mod):
    measure = issue(MeasureKind.SUSPEND_POSTING, operator=mod, target_group=chat, days=7)
    sooner = timezone.now() + timedelta(days=1)
    change = measure_lift(measure=measure, operator=mod, reason="shorter", until=sooner, origin=ORIGIN)
    assert change.change == Change.SHORTEN and change.ends_at == sooner
    chat.refresh_from_db()
    assert chat.status_until == sooner and Restriction.objects.get(measure=measure).until == sooner
    with pytest.raises(ApplicationError):  # not longer than it was
        measure_lift(measure=measure, operator=mod, reason="longer", until=sooner + timedelta(days=30), origin=ORIGIN)


@pytest.mark.clause("G11a")
def test_closure_is_a_measure_through_groups_close(chat, alice, mod):
    measure = issue(MeasureKind.CLOSE, operator=mod, target_group=chat, days=None, reason_code="ILL-09")
    chat.refresh_from_db()
    assert chat.status == GroupStatus.CLOSED and measure.kind == MeasureKind.CLOSE
    refused(alice, chat, "group_closed")
    with pytest.raises(ApplicationError) as err:
        measure_lift(measure=measure, operator=mod, reason="no", origin=ORIGIN)
    assert err.value.code == "measure_not_liftable"


@pytest.mark.clause("G11a")
def test_warning_tells_owner_and_admins_only(chat, owner, alice, mod, sent_events):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        issue(MeasureKind.WARNING, operator=mod, target_group=chat, days=3)
    notified = {names[0] for names, event in sent_events if event["type"] == "user.notice"}
    assert notified == {f"user.{owner.pk}"}
    assert Restriction.objects.filter(kind=MeasureKind.WARNING, group=chat).exists()


@pytest.mark.clause("G11a")
def test_credit_stars_shape_search_joining_and_posting(owner, alice, bob, member_of, mod, user_factory):
    five = make_group(owner, name="星级测试一")
    four = make_group(owner, name="星级测试二")
    member_of(four, alice)
    four.member_count = 50
    four.save(update_fields=["member_count"])  # would rank first by size
    issue(MeasureKind.STARS_DOWN, operator=mod, target_group=four, stars=4, days=None)
    assert [g.pk for g in selectors.group_search(query="星级测试")] == [five.pk, four.pk]
    measure = issue(MeasureKind.STARS_DOWN, operator=mod, target_group=four, stars=3, days=None)
    assert [g.pk for g in selectors.group_search(query="星级测试")] == [five.pk]
    assert selectors.group_search(query=four.code) == []
    two = issue(MeasureKind.STARS_DOWN, operator=mod, target_group=four, stars=2, days=None)
    with pytest.raises(ApplicationError) as err:
        services.group_join(user=bob, group=Group.objects.get(pk=four.pk), origin=ORIGIN)
    assert err.value.code == "group_restricted"
    send(alice, four, client_id="at-two")  # 2 stars: members still post
    one = issue(MeasureKind.STARS_DOWN, operator=mod, target_group=four, stars=1, days=None)
    refused(alice, four, "group_disabled", client_id="at-one")
    with pytest.raises(ApplicationError) as err:  # only lowered by a measure
        issue(MeasureKind.STARS_DOWN, operator=mod, target_group=four, stars=3, days=None)
    assert err.value.code == "stars_not_lower"
    # The stars follow the measures still in force: lifting the 3-star one changes nothing while 1 star stands;
    # lifting the 2- and 1-star ones leaves the 4-star measure.
    measure_lift(measure=measure, operator=mod, reason="re-rated", origin=ORIGIN)
    assert Group.objects.get(pk=four.pk).credit_stars == 1
    for m in (one, two):
        measure_lift(measure=m, operator=mod, reason="re-rated", origin=ORIGIN)
    assert Group.objects.get(pk=four.pk).credit_stars == 4


@pytest.mark.clause("G11b")
def test_credit_down_goes_through_the_ledger_and_a_lift_restores_it_once(alice, mod):
    before = alice.credit_score
    measure = issue(MeasureKind.CREDIT_DOWN, operator=mod, target_user=alice, credit_points=15, days=None)
    alice.refresh_from_db()
    assert alice.credit_score == before - 15
    event = CreditEvent.objects.get(ref=f"measure:{measure.pk}")
    assert event.source == CreditSource.MEASURE and event.delta == -15 and event.reason_code == "PLT-SPAM"
    measure_lift(measure=measure, operator=mod, reason="mistake", origin=ORIGIN)
    with pytest.raises(ApplicationError):
        measure_lift(measure=measure, operator=mod, reason="twice", origin=ORIGIN)
    alice.refresh_from_db()
    assert alice.credit_score == before
    assert CreditEvent.objects.filter(ref=f"measure:{measure.pk}").count() == 2


@pytest.mark.clause("G11b")
def test_suspended_admin_stays_member_without_admin_powers(chat, owner, alice, bob, member_of, mod):
    member_of(chat, bob)
    Membership.objects.filter(group=chat, user=alice).update(role="admin")
    issue(MeasureKind.SUSPEND_ADMIN, operator=mod, target_user=alice, days=2)
    membership = Membership.objects.get(group=chat, user=alice)
    assert membership.role == "admin" and membership.admin_suspended_until is not None
    with pytest.raises(ApplicationError) as err:
        services.member_mute(actor=alice, group=chat, target=bob, minutes=10, origin=ORIGIN)
    assert err.value.code == "admin_suspended"
    send(alice, chat, client_id="still-member")  # stays a member who may post
    with pytest.raises(ApplicationError) as err:  # and is not appointed admin elsewhere meanwhile
        other = make_group(owner, name="另一个群")
        services.group_join(user=alice, group=other, origin=ORIGIN)
        services.member_set_role(actor=owner, group=other, target=alice, role="admin", acknowledge_duties=True,
                                 origin=ORIGIN)
    assert err.value.code == "admin_suspended"


@pytest.mark.clause("G11b")
def test_revoked_creation_right_refuses_creating_groups(alice, mod):
    issue(MeasureKind.REVOKE_CREATE, operator=mod, target_user=alice, days=None)
    with pytest.raises(ApplicationError) as err:
        make_group(alice, name="新群")
    assert err.value.code == "create_revoked"
    assert not Group.objects.filter(owner=alice).exists()


@pytest.mark.clause("G11b")
def test_platform_mute_refuses_every_group_until_it_ends(chat, owner, alice, mod):
    other = make_group(owner, name="第二个群")
    services.group_join(user=alice, group=other, origin=ORIGIN)
    measure = issue(MeasureKind.MUTE_PLATFORM, operator=mod, target_user=alice, days=1)
    error = refused(alice, chat, "muted_platform", client_id="m1")
    assert error.detail("zh-hans") != error.detail("en") and "{" not in error.detail("en")
    refused(alice, other, "muted_platform", client_id="m2")
    send(owner, chat, client_id="owner-ok")
    # Time passes beyond its end: the send path refuses no more, even before the sweep.
    Restriction.objects.filter(measure=measure).update(until=timezone.now() - timedelta(seconds=1))
    send(alice, chat, client_id="m3")
    assert Message.objects.filter(sender=alice).count() == 1


@pytest.mark.clause("G11b")
def test_platform_mute_on_the_http_send(chat, alice, mod, api):
    issue(MeasureKind.MUTE_PLATFORM, operator=mod, target_user=alice, days=1)
    response = api(alice).post(f"/api/v1/groups/{chat.code}/messages/", {"body": "hi", "client_id": "h1"},
                               format="json")
    assert response.status_code == 403 and response.json()["code"] == "muted_platform"
    assert not Message.objects.filter(sender=alice).exists()


@pytest.mark.clause("G11b")
def test_every_measure_moves_the_send_gate(chat, alice, mod):
    chat.refresh_from_db()
    before = Group.objects.get(pk=chat.pk).send_gate
    issue(MeasureKind.SUSPEND_POSTING, operator=mod, target_group=chat, days=1)
    assert Group.objects.get(pk=chat.pk).send_gate != before


def test_evidence_digest_is_order_independent():
    assert evidence_digest({"a": 1, "b": [1, 2]}) == evidence_digest({"b": [1, 2], "a": 1})


@pytest.mark.clause("G11a")
def test_info_page_shows_the_credit_stars(client, chat, mod):
    assert 'data-stars="5"' in client.get(f"/g/{chat.code}/").content.decode()
    issue(MeasureKind.STARS_DOWN, operator=mod, target_group=chat, stars=3, days=None)
    html = client.get(f"/g/{chat.code}/").content.decode()
    assert 'data-stars="3"' in html and "★★★☆☆" in html


@pytest.mark.clause("G11a")
def test_overlapping_suspensions_never_end_one_another_early(chat, alice, mod):
    long = issue(MeasureKind.SUSPEND_POSTING, operator=mod, target_group=chat, days=3)
    short = issue(MeasureKind.SUSPEND_POSTING, operator=mod, target_group=chat, days=1)
    chat.refresh_from_db()
    assert chat.status_until == long.ends_at  # the shorter one does not cut the longer one short
    measure_lift(measure=long, operator=mod, reason="appeal", origin=ORIGIN)
    chat.refresh_from_db()
    assert chat.status == GroupStatus.SUSPENDED and chat.status_until == short.ends_at
    refused(alice, chat, "group_suspended")
    measure_lift(measure=short, operator=mod, reason="rectified", origin=ORIGIN)
    send(alice, chat, client_id="open-again")


@pytest.mark.clause("G11b")
def test_overlapping_admin_suspensions_follow_the_longest(chat, alice, mod):
    Membership.objects.filter(group=chat, user=alice).update(role="admin")
    first = issue(MeasureKind.SUSPEND_ADMIN, operator=mod, target_user=alice, days=5)
    issue(MeasureKind.SUSPEND_ADMIN, operator=mod, target_user=alice, days=2)
    assert Membership.objects.get(group=chat, user=alice).admin_suspended_until == first.ends_at
    Restriction.objects.filter(measure=first).update(until=timezone.now() - timedelta(seconds=1))
    from moderation.measures import restrictions_expire

    assert restrictions_expire() == 1
    still = Membership.objects.get(group=chat, user=alice).admin_suspended_until
    assert still is not None and still > timezone.now()


@pytest.mark.clause("G11a")
def test_a_warning_stays_on_the_owners_and_admins_chat_page_until_lifted(chat, owner, alice, mod):
    """The group info the chat page loads carries the warning's deadline for the owner and admins, not for members."""
    from rest_framework.test import APIClient

    def notices(user):
        client = APIClient()
        client.force_authenticate(user)
        response = client.get(f"/api/v1/groups/{chat.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200
        return response.json()["notices"]

    assert notices(owner) == [] and notices(alice) == []
    warning = issue(MeasureKind.WARNING, operator=mod, target_group=chat, days=3, reason="群内多次出现刷单广告")
    [shown] = notices(owner)
    assert shown["kind"] == "warning" and shown["measure"] == warning.pk and shown["until"]
    assert "整改" in shown["text"] and "群内多次出现刷单广告" in shown["text"]
    assert notices(alice) == []  # a plain member is not told
    Membership.objects.filter(group=chat, user=alice).update(role="admin")
    assert len(notices(alice)) == 1  # an admin is
    measure_lift(measure=warning, operator=mod, reason="已整改", origin=ORIGIN)
    assert notices(owner) == []
