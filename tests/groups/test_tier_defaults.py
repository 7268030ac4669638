"""Owner qualification by size (issue 14 item 6, REGULATION §5.2 and §5.4; G7a, G8c).

small: cap 100, owner L1; medium: cap 500, owner L2 and credit >= B; large: cap 2000, owner L3, or L2 with platform
review. The daily sweep never moves a group into a tier whose owner qualification its owner does not meet: such a
group waits for platform review instead.
"""

import pytest

from accounts.models import User
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups.models import Group, GroupApplication, TierChange, TierPolicy
from groups.services import tiers
from tests.factories import ORIGIN, UserFactory, make_group

pytestmark = pytest.mark.django_db


def _user(level=1, score=80):
    user = UserFactory(verification_level=level)
    User.objects.filter(pk=user.pk).update(credit_score=score)
    user.refresh_from_db()
    return user


@pytest.mark.clause("G8c")
def test_default_tiers_follow_the_regulation():
    rows = {t.slug: (t.max_members, t.owner_verification_level, t.owner_min_grade, t.requires_review,
                     t.review_exempt_level) for t in TierPolicy.objects.all()}
    assert rows == {
        "small": (100, 1, "C", False, 0),
        "medium": (500, 2, "B", False, 0),
        "large": (2000, 2, "B", True, 3),
    }


@pytest.mark.clause("G8a")
def test_a_phone_verified_owner_runs_at_most_100_members():
    group = make_group(_user(level=1))
    assert group.tier.slug == "small" and group.member_cap == 100


@pytest.mark.clause("G8c")
def test_large_group_by_an_l3_owner_opens_at_once_by_an_l2_owner_after_review():
    by_org = make_group(_user(level=3, score=95), tier="large", join_mode="approval")
    assert isinstance(by_org, Group) and by_org.tier.slug == "large"
    by_person = make_group(_user(level=2, score=95), tier="large", join_mode="approval")
    assert isinstance(by_person, GroupApplication) and by_person.tier.slug == "large"


@pytest.mark.clause("G7a")
def test_sweep_sends_a_group_whose_owner_does_not_qualify_to_review_not_into_the_tier():
    owner = _user(level=1)  # phone only: may own a small group, not a medium one
    group = make_group(owner, category="interest", rules="r")
    Group.objects.filter(pk=group.pk).update(member_count=150)  # from before the cap was lowered to 100
    result = tiers.tiers_sweep_run()
    group.refresh_from_db()
    assert group.tier.slug == "small" and group.member_cap == 100
    assert result["retiered"] == 0 and result["to_review"] == 1
    assert not TierChange.objects.filter(group=group, reason="size").exists()
    application = GroupApplication.objects.get(group=group)
    assert application.is_upgrade and application.tier.slug == "medium" and application.status == "pending"
    assert application.data["reason"] == "size"
    assert application.data["missing"][0]["code"] == "owner_verification_level"
    assert LogEntry.objects.filter(kind="group.tier_review", group_code=group.code).exists()
    # Idempotent: the next sweep finds the pending application and adds none.
    assert tiers.tiers_sweep_run()["to_review"] == 0
    assert GroupApplication.objects.filter(group=group).count() == 1


@pytest.mark.clause("G7a")
def test_sweep_sends_a_group_growing_into_a_reviewed_tier_to_review():
    owner = _user(level=2, score=95)  # grade A, L2: qualifies for large, but only with review
    group = make_group(owner, category="interest", rules="r", tier="medium")
    Group.objects.filter(pk=group.pk).update(member_count=700)
    assert tiers.tiers_sweep_run()["to_review"] == 1
    group.refresh_from_db()
    assert group.tier.slug == "medium"
    assert GroupApplication.objects.get(group=group).tier.slug == "large"


@pytest.mark.clause("G7a")
def test_sweep_moves_a_group_whose_owner_qualifies():
    owner = _user(level=2)
    group = make_group(owner, category="interest", rules="r")
    Group.objects.filter(pk=group.pk).update(member_count=150)
    assert tiers.tiers_sweep_run()["retiered"] == 1
    group.refresh_from_db()
    assert group.tier.slug == "medium" and group.member_cap == 500


@pytest.mark.clause("G8c")
def test_an_l1_owner_cannot_upgrade_past_100():
    owner = _user(level=1)
    group = make_group(owner)
    with pytest.raises(ApplicationError) as err:
        tiers.group_tier_request(actor=owner, group=group, tier_slug="medium", origin=ORIGIN)
    assert err.value.code == "owner_verification_level"


@pytest.mark.clause("G8c")
def test_review_cannot_approve_a_size_upgrade_for_an_unqualified_owner():
    owner = _user(level=1)
    group = make_group(owner, category="interest", rules="r")
    Group.objects.filter(pk=group.pk).update(member_count=150)
    tiers.tiers_sweep_run()
    application = GroupApplication.objects.get(group=group)
    reviewer = UserFactory(is_staff=True)
    with pytest.raises(ApplicationError) as err:
        tiers.application_decide(actor=reviewer, application_id=application.pk, approve=True, origin=ORIGIN)
    assert err.value.code == "owner_verification_level"
    # Once the owner verifies at L2 the reviewer may approve, and the group moves up.
    User.objects.filter(pk=owner.pk).update(verification_level=2)
    tiers.application_decide(actor=reviewer, application_id=application.pk, approve=True, origin=ORIGIN)
    group.refresh_from_db()
    assert group.tier.slug == "medium" and group.member_cap == 500


@pytest.mark.clause("G8c")
def test_tier_list_says_whether_review_applies_to_me(api):
    for level, expected in ((2, True), (3, False)):
        tiers_list = api(_user(level=level, score=95)).get("/api/v1/tiers/").json()["tiers"]
        large = next(t for t in tiers_list if t["slug"] == "large")
        assert large["requires_review"] is expected and large["review_exempt_level"] == 3
        assert large["missing"] == []
