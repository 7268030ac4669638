"""Tiered, classified management (G7a, G8a, G8c): qualification by tier, caps by grade, review, sweep, filing."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from accounts.models import GradePermission, User
from compliance.models import FilingRecord
from compliance.selectors import filing_unfiled
from compliance.services import filing
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups import services
from groups.models import (
    Group,
    GroupActivityDay,
    GroupApplication,
    Membership,
    TierChange,
    TierPolicy,
)
from groups.services import tiers
from tests.factories import ORIGIN, UserFactory, make_group


def _user(level=1, score=80):
    user = UserFactory(verification_level=level)
    User.objects.filter(pk=user.pk).update(credit_score=score)
    user.refresh_from_db()
    return user


@pytest.mark.django_db
@pytest.mark.clause("G8c")
def test_owner_below_the_tier_verification_level_is_told_what_is_missing():
    user = _user(level=1)
    with pytest.raises(ApplicationError) as err:
        make_group(user, tier="medium")
    assert err.value.code == "owner_verification_level"
    assert err.value.extra["missing"][0] == {"code": "owner_verification_level", "need": 2, "have": 1}
    assert "L2" in err.value.detail("en") and "L2" in err.value.detail("zh-hans")
    assert make_group(_user(level=2), tier="medium").tier.slug == "medium"


@pytest.mark.django_db
@pytest.mark.clause("G7b")
def test_grade_d_user_is_refused_group_creation():
    with pytest.raises(ApplicationError) as err:
        make_group(_user(score=40))
    assert err.value.code == "credit_insufficient"
    assert not Group.objects.exists()


@pytest.mark.django_db
@pytest.mark.clause("G8a")
def test_joined_groups_cap_follows_the_grade():
    GradePermission.objects.filter(grade="B").update(groups_joined_max=2)
    joiner = _user()
    for _ in range(2):
        services.group_join(user=joiner, group=make_group(_user()), origin=ORIGIN)
    with pytest.raises(ApplicationError) as err:
        services.group_join(user=joiner, group=make_group(_user()), origin=ORIGIN)
    assert err.value.code == "groups_joined_limit" and "2" in err.value.detail("en")


@pytest.mark.django_db(transaction=True)
@pytest.mark.clause("G8a")
def test_concurrent_creates_never_exceed_the_daily_cap():
    owner = _user()
    per_day = GradePermission.objects.get(grade="B").groups_created_per_day
    attempts = per_day + 5
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []
    lock = threading.Lock()

    def create(i):
        try:
            barrier.wait(timeout=10)
            try:
                make_group(owner, name=f"并发{i}")
                outcome = "created"
            except ApplicationError as exc:
                outcome = exc.code
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("created") == per_day
    assert set(outcomes) == {"created", "groups_created_limit"}
    assert Group.objects.filter(owner=owner).count() == per_day


@pytest.mark.django_db
@pytest.mark.clause("G8c")
def test_reviewed_tier_waits_for_the_platform_and_the_applicant_hears_the_decision(
        django_capture_on_commit_callbacks):
    owner = _user(level=2, score=95)
    moderator = UserFactory(is_staff=True)
    application = make_group(owner, tier="large", join_mode="approval", category="interest", rules="守法")
    assert isinstance(application, GroupApplication) and application.status == "pending"
    assert not Group.objects.filter(owner=owner).exists()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decided = tiers.application_decide(actor=moderator, application_id=application.pk, approve=True,
                                           origin=ORIGIN)
    group = decided.group
    assert group.tier.slug == "large" and group.member_cap == 2000 and group.owner == owner
    assert len(callbacks) >= 1  # the live notice to the applicant (and membership event) after commit
    assert LogEntry.objects.filter(kind="group.application_decided", target_id=owner.pk).exists()
    with pytest.raises(ApplicationError) as err:
        tiers.application_decide(actor=moderator, application_id=application.pk, approve=False, origin=ORIGIN)
    assert err.value.code == "application_not_pending"


@pytest.mark.django_db
@pytest.mark.clause("G8c")
def test_category_can_demand_review_and_large_tier_forbids_open_joining():
    owner = _user(level=2, score=95)
    result = make_group(owner, tier="medium", category="public-affairs", join_mode="approval")
    assert isinstance(result, GroupApplication)  # public affairs are reviewed from the medium tier
    with pytest.raises(ApplicationError) as err:
        make_group(owner, tier="large", join_mode="open")
    assert err.value.code == "join_mode_not_allowed"


def _open_group(*, members: int | None = None, info_threshold: int | None = None) -> tuple[User, Group]:
    owner = _user()
    group = make_group(owner, join_mode="open")
    if members is not None:
        Group.objects.filter(pk=group.pk).update(member_count=members)
    if info_threshold is not None:
        TierPolicy.objects.filter(pk=group.tier_id).update(info_required_from_members=info_threshold)
    group.refresh_from_db()
    return owner, group


def _refused_for_missing_info(attempt) -> ApplicationError:
    with pytest.raises(ApplicationError) as err:
        attempt()
    assert err.value.code == "group_info_required"
    return err.value


@pytest.mark.django_db
@pytest.mark.clause("G8b")
def test_category_and_rules_are_required_from_the_threshold():
    owner, group = _open_group(members=99)
    refusal = _refused_for_missing_info(lambda: services.group_join(user=_user(), group=group, origin=ORIGIN))
    assert "100" in refusal.detail("en")
    services.group_update(actor=owner, group=group, origin=ORIGIN, category="interest", rules="文明交流")
    services.group_join(user=_user(), group=group, origin=ORIGIN)
    assert Group.objects.get(pk=group.pk).member_count == 100
    # and they cannot be taken away again
    _refused_for_missing_info(lambda: services.group_update(actor=owner, group=group, origin=ORIGIN, rules=" "))


@pytest.mark.django_db
@pytest.mark.clause("G8b")
def test_a_threshold_of_zero_requires_category_and_rules_for_joins_and_edits_alike():
    owner, group = _open_group(info_threshold=0)
    _refused_for_missing_info(lambda: services.group_join(user=_user(), group=group, origin=ORIGIN))
    _refused_for_missing_info(lambda: services.group_update(actor=owner, group=group, origin=ORIGIN, name="新名字"))
    services.group_update(actor=owner, group=group, origin=ORIGIN, category="interest", rules="文明交流")
    services.group_join(user=_user(), group=group, origin=ORIGIN)
    assert Group.objects.get(pk=group.pk).member_count == 2


@pytest.mark.django_db
@pytest.mark.clause("G8c")
def test_link_joining_is_off_from_200_members():
    owner = _user(level=2)
    group = make_group(owner, tier="medium", category="interest", rules="r")
    link = services.invitation_create(actor=owner, group=group, origin=ORIGIN)
    Group.objects.filter(pk=group.pk).update(member_count=200)
    with pytest.raises(ApplicationError) as err:
        services.invitation_accept(user=_user(), token=link.token, origin=ORIGIN)
    assert err.value.code == "link_join_disabled"


@pytest.mark.django_db
@pytest.mark.clause("G7a")
def test_sweep_retiers_a_group_past_its_size_and_is_idempotent(django_capture_on_commit_callbacks):
    owner = _user(level=2)
    group = make_group(owner, category="interest", rules="r")
    # An operator lowered the small tier's cap below this group's size: the next sweep moves it up.
    Group.objects.filter(pk=group.pk).update(member_count=230)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = tiers.tiers_sweep_run()
    group.refresh_from_db()
    assert first["retiered"] == 1 and group.tier.slug == "medium" and group.member_cap == 500
    assert group.size_band == "medium"
    change = TierChange.objects.filter(group=group).latest("created_at")
    assert change.reason == "size" and change.data == {"member_count": 230}
    assert callbacks, "the owner is told live"
    assert tiers.tiers_sweep_run()["retiered"] == 0
    assert TierChange.objects.filter(group=group, reason="size").count() == 1


@pytest.mark.django_db
@pytest.mark.clause("G7a")
def test_activity_band_is_the_30_day_average():
    group = make_group(_user())
    today = timezone.localdate()
    GroupActivityDay.objects.create(group=group, day=today - timedelta(days=30), last_seq=100, member_count=1)
    Group.objects.filter(pk=group.pk).update(last_seq=100 + 30 * 25)
    tiers.tiers_sweep_run(today=today)
    group.refresh_from_db()
    assert group.activity_avg == pytest.approx(25.0) and group.activity_band == "active"
    assert GroupActivityDay.objects.filter(group=group, day=today).count() == 1
    tiers.tiers_sweep_run(today=today)  # same day again: one snapshot row, same result
    assert GroupActivityDay.objects.filter(group=group, day=today).count() == 1


@pytest.mark.django_db
@pytest.mark.clause("G7a")
def test_tier_policy_change_needs_a_filing_record_and_alerts_until_filed(admin_client, admin_user):
    filing.filing_version_create(actor=admin_user, summary="initial")
    filing.filing_mark_filed(actor=admin_user, filing=FilingRecord.objects.get(), filing_number="京网信备-001")
    assert filing_unfiled() is None
    small = TierPolicy.objects.get(slug="small")
    response = admin_client.post(f"/admin/groups/tierpolicy/{small.pk}/change/", {
        "slug": "small", "name_zh": small.name_zh, "name_en": small.name_en, "rank": 1, "max_members": 90,
        "owner_verification_level": 1, "owner_min_grade": "C", "review_exempt_level": 0,
        "join_modes": '["open", "approval"]',
        "link_join_max_members": 200, "approval_from_members": 500, "invitee_accept_above": 40,
        "info_required_from_members": 100, "screening_intensity": "standard",
    })
    assert response.status_code == 302, response.content[:2000]
    unfiled = filing_unfiled()
    assert unfiled is not None and unfiled.version == 2 and "max_members" in unfiled.change_summary
    assert unfiled.snapshot["tiers"][0]["max_members"] == 90
    page = admin_client.get("/admin/groups/tierpolicy/")
    assert "has not been filed" in page.content.decode()
    filing.filing_mark_filed(actor=admin_user, filing=unfiled, filing_number="京网信备-002")
    assert "has not been filed" not in admin_client.get("/admin/groups/tierpolicy/").content.decode()


@pytest.mark.django_db
@pytest.mark.clause("G8c")
def test_tier_api_says_what_i_lack_and_upgrade_applies_at_once_when_not_reviewed(api):
    owner = _user(level=1)
    body = api(owner).get("/api/v1/tiers/").json()
    medium = next(t for t in body["tiers"] if t["slug"] == "medium")
    assert medium["missing"] == [{"code": "owner_verification_level", "need": 2, "have": 1}]
    group = make_group(owner, category="interest", rules="r")
    refused = api(owner).post(f"/api/v1/groups/{group.code}/tier/", {"tier": "medium"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "owner_verification_level"
    User.objects.filter(pk=owner.pk).update(verification_level=2)
    owner.refresh_from_db()
    done = api(owner).post(f"/api/v1/groups/{group.code}/tier/", {"tier": "medium"}, format="json")
    assert done.status_code == 200 and done.json()["tier"] == "medium"
    assert Group.objects.get(pk=group.pk).member_cap == 500
    assert Membership.objects.filter(group=group).count() == 1


@pytest.mark.django_db
@pytest.mark.clause("G8c")
def test_missing_grade_names_the_grade_that_may_own_the_tier_and_upgrades_are_not_applied_twice(api):
    owner = _user(level=2, score=80)  # grade B: meets the large tier's minimum, but B may own medium groups at most
    large = TierPolicy.objects.get(slug="large")
    assert [m.as_dict() for m in tiers.tier_missing(user=owner, tier=large)] == [
        {"code": "credit_insufficient", "need": "A", "have": "B"}]
    User.objects.filter(pk=owner.pk).update(credit_score=95)
    owner.refresh_from_db()
    group = make_group(owner, category="interest", rules="r")
    first = api(owner).post(f"/api/v1/groups/{group.code}/tier/", {"tier": "large"}, format="json")
    assert first.status_code == 202
    again = api(owner).post(f"/api/v1/groups/{group.code}/tier/", {"tier": "large"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "application_pending"
