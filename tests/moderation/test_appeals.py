"""Appeals: once, within 15 days, by the target, decided by another moderator; upheld lifts the measure and gives
the credit back with exactly one ledger entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import CreditEvent, CreditSource
from groupchat.core.errors import ApplicationError
from moderation.appeals import appeal_decide, appeal_file
from moderation.models_measures import Appeal, AppealStatus, Change, Measure, MeasureKind, Restriction
from tests.factories import ORIGIN, make_group

from .measures_helpers import issue, moderator, senior

pytestmark = pytest.mark.django_db

TEXT = "我没有发布违规内容，请复核。"


@pytest.fixture
def mod():
    return moderator()


@pytest.mark.clause("G11b")
def test_upheld_appeal_lifts_and_restores_credit_with_one_ledger_entry(alice, mod):
    before = alice.credit_score
    measure = issue(MeasureKind.CREDIT_DOWN, operator=mod, target_user=alice, credit_points=20, days=None)
    appeal = appeal_file(measure=measure, user=alice, text=TEXT, origin=ORIGIN)
    with pytest.raises(ApplicationError) as err:  # the issuer does not decide
        appeal_decide(appeal=appeal, moderator=mod, upheld=True)
    assert err.value.code == "appeal_same_moderator"
    decider = senior()
    appeal = appeal_decide(appeal=appeal, moderator=decider, upheld=True, text="复核成立")
    assert appeal.status == AppealStatus.UPHELD and appeal.lift.change == Change.LIFT
    with pytest.raises(ApplicationError) as err:  # a second decision (double click) changes nothing
        appeal_decide(appeal=appeal, moderator=decider, upheld=True)
    assert err.value.code == "appeal_not_pending"
    alice.refresh_from_db()
    assert alice.credit_score == before
    restored = CreditEvent.objects.filter(ref=f"measure:{measure.pk}", delta__gt=0)
    assert restored.count() == 1 and restored.get().source == CreditSource.APPEAL


@pytest.mark.clause("G11a")
def test_group_owner_appeals_a_group_measure_and_a_rejection_keeps_it(owner, alice, mod):
    group = make_group(owner)
    measure = issue(MeasureKind.SUSPEND_POSTING, operator=mod, target_group=group, days=3)
    with pytest.raises(ApplicationError) as err:
        appeal_file(measure=measure, user=alice, text=TEXT)
    assert err.value.code == "appeal_not_target"
    appeal = appeal_file(measure=measure, user=owner, text=TEXT)
    with pytest.raises(ApplicationError) as err:
        appeal_file(measure=measure, user=owner, text=TEXT)
    assert err.value.code == "appeal_exists"
    appeal_decide(appeal=appeal, moderator=senior(), upheld=False, text="证据充分")
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.REJECTED
    assert Restriction.objects.filter(measure=measure).exists()
    assert not Measure.objects.filter(amends=measure).exists()


@pytest.mark.clause("G11b")
def test_appeal_window_and_text(alice, mod):
    measure = issue(MeasureKind.MUTE_PLATFORM, operator=mod, target_user=alice, days=30)
    with pytest.raises(ApplicationError) as err:
        appeal_file(measure=measure, user=alice, text="短")
    assert err.value.code == "appeal_text_required"
    old = issue(MeasureKind.REVOKE_CREATE, operator=mod, target_user=alice, days=None)
    Measure.objects.filter(pk=old.pk).update(starts_at=timezone.now() - timedelta(days=16))  # filed 16 days ago
    old.refresh_from_db()
    with pytest.raises(ApplicationError) as err:
        appeal_file(measure=old, user=alice, text=TEXT)
    assert err.value.code == "appeal_too_late"


@pytest.mark.clause("G11b")
def test_appeal_through_the_api_and_my_measures(alice, bob, mod, api):
    measure = issue(MeasureKind.CREDIT_DOWN, operator=mod, target_user=alice, days=None)
    listed = api(alice).get("/api/v1/moderation/measures/").json()["measures"]
    assert [m["id"] for m in listed] == [measure.pk] and listed[0]["appealable"]
    assert listed[0]["basis"].startswith("《互联网群组信息服务管理规定》")
    assert api(bob).get("/api/v1/moderation/measures/").json()["measures"] == []
    response = api(bob).post(f"/api/v1/moderation/measures/{measure.pk}/appeal/", {"text": TEXT}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "measure_not_found"
    response = api(alice).post(f"/api/v1/moderation/measures/{measure.pk}/appeal/", {"text": TEXT}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "pending"
    again = api(alice).post(f"/api/v1/moderation/measures/{measure.pk}/appeal/", {"text": TEXT}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "appeal_exists"
    assert not api(alice).get("/api/v1/moderation/measures/").json()["measures"][0]["appealable"]


def test_my_measures_page_files_an_appeal(client, alice, mod):
    measure = issue(MeasureKind.MUTE_PLATFORM, operator=mod, target_user=alice, days=1)
    client.force_login(alice)
    page = client.get("/me/measures/")
    assert page.status_code == 200 and f'id="measure-{measure.pk}"' in page.content.decode()
    response = client.post("/me/measures/", {"measure": measure.pk, "text": TEXT})
    assert response.status_code == 302
    assert Appeal.objects.get(measure=measure).appellant == alice
    assert "appeal-form" not in client.get("/me/measures/").content.decode()


@pytest.mark.clause("G11a")
def test_admins_see_their_groups_warning_but_only_the_owner_appeals(owner, alice, bob, member_of, mod, api):
    group = make_group(owner)
    member_of(group, alice, role="admin")
    member_of(group, bob)
    warning = issue(MeasureKind.WARNING, operator=mod, target_group=group, days=3)
    seen = api(alice).get("/api/v1/moderation/measures/").json()["measures"]
    assert [m["id"] for m in seen] == [warning.pk] and not seen[0]["appealable"] and seen[0]["ends_at"]
    assert api(bob).get("/api/v1/moderation/measures/").json()["measures"] == []
    assert api(owner).get("/api/v1/moderation/measures/").json()["measures"][0]["appealable"]
