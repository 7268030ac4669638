"""Minors (issue 14 item 10; REGULATION §5.13, PIPL Art 31).

The birth date comes from the ID number of an L2 submission. Under 14, L2 is granted only after a guardian's
consent is recorded; under 18, a user cannot own a group of more than 100 members (the sweep sends such a group to
review instead of moving it up).
"""

import datetime

import pytest
from django.utils import timezone
from stdnum.cn import ric

from accounts import services
from accounts.minors import age_years
from accounts.models import GuardianConsent, IdentitySubmission, SubmissionStatus, User
from groupchat.core.errors import ApplicationError
from groups import services as group_services
from groups.models import Group, GroupApplication
from groups.services import tiers
from tests.factories import ORIGIN, UserFactory, add_member, make_group

pytestmark = pytest.mark.django_db


def _born(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return day - datetime.timedelta(days=days)


def _id_number(born: datetime.date) -> str:
    body = f"110105{born:%Y%m%d}003"
    return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last character


def _submit(user, born: datetime.date) -> IdentitySubmission:
    consent = services.consent_give(user=user, origin=ORIGIN)
    return services.identity_submit_personal(user=user, legal_name="王小明", id_number=_id_number(born),
                                             consent=consent, origin=ORIGIN)


def test_age_in_whole_years():
    today = datetime.date(2026, 12, 7)
    assert age_years(datetime.date(2012, 12, 7), today=today) == 14
    assert age_years(datetime.date(2012, 12, 8), today=today) == 13
    assert age_years(datetime.date(2008, 2, 29), today=datetime.date(2026, 2, 28)) == 17


@pytest.mark.clause("G6b")
def test_under_14_l2_needs_a_recorded_guardian_consent(reviewer):
    child = UserFactory()
    submission = _submit(child, _born(13, days=300))
    assert submission.birth_date is not None
    with pytest.raises(ApplicationError) as err:
        services.identity_approve(submission_id=submission.pk, reviewer=reviewer, origin=ORIGIN)
    assert err.value.code == "guardian_consent_required"
    assert err.value.detail("zh-hans") != err.value.detail("en")
    assert User.objects.get(pk=child.pk).verification_level == 1
    assert IdentitySubmission.objects.get(pk=submission.pk).status == SubmissionStatus.PENDING

    consent = services.guardian_consent_record(user=child, guardian_name="王大明", relationship="parent",
                                               evidence="监护人签署的同意书，编号 2026-118", recorded_by=reviewer,
                                               origin=ORIGIN)
    assert consent.guardian_name_masked == "王**" and "王大明" not in consent.guardian_name_enc
    services.identity_approve(submission_id=submission.pk, reviewer=reviewer, origin=ORIGIN)
    child.refresh_from_db()
    assert child.verification_level == 2 and child.birth_date == _born(13, days=300)


@pytest.mark.clause("G6b")
def test_an_auto_approving_checker_leaves_a_child_pending(settings):
    settings.ACCOUNTS = {"IDENTITY_CHECKER": "accounts.providers.DevAutoApproveChecker"}
    child = UserFactory()
    submission = _submit(child, _born(10))
    assert submission.status == SubmissionStatus.PENDING  # kept, waiting for the guardian's consent
    assert User.objects.get(pk=child.pk).verification_level == 1
    adult = UserFactory()
    assert _submit(adult, _born(14)).status == SubmissionStatus.APPROVED  # 14 today: no guardian needed


def test_only_staff_with_the_review_permission_record_guardian_consent(alice, bob):
    with pytest.raises(ApplicationError) as err:
        services.guardian_consent_record(user=alice, guardian_name="王大明", relationship="parent",
                                         evidence="x" * 10, recorded_by=bob, origin=ORIGIN)
    assert err.value.code == "permission_denied"
    assert not GuardianConsent.objects.exists()


@pytest.mark.clause("G8c")
def test_a_minor_cannot_own_a_group_over_100_members(reviewer):
    teen = UserFactory()
    services.identity_approve(submission_id=_submit(teen, _born(16)).pk, reviewer=reviewer, origin=ORIGIN)
    teen.refresh_from_db()
    assert teen.verification_level == 2
    assert make_group(teen).tier.slug == "small"  # up to 100 members: allowed
    with pytest.raises(ApplicationError) as err:
        make_group(teen, tier="medium")
    assert err.value.code == "owner_minor"
    assert err.value.detail("zh-hans") != err.value.detail("en")
    adult = UserFactory()
    services.identity_approve(submission_id=_submit(adult, _born(18)).pk, reviewer=reviewer, origin=ORIGIN)
    assert make_group(User.objects.get(pk=adult.pk), tier="medium").tier.slug == "medium"


@pytest.mark.clause("G7a")
def test_the_sweep_sends_a_minors_growing_group_to_review(reviewer):
    teen = UserFactory()
    services.identity_approve(submission_id=_submit(teen, _born(17)).pk, reviewer=reviewer, origin=ORIGIN)
    group = make_group(User.objects.get(pk=teen.pk), category="interest", rules="r")
    Group.objects.filter(pk=group.pk).update(member_count=150)
    assert tiers.tiers_sweep_run()["to_review"] == 1
    group.refresh_from_db()
    assert group.tier.slug == "small"
    assert GroupApplication.objects.get(group=group).data["missing"][0]["code"] == "owner_minor"


@pytest.mark.clause("G8c")
def test_a_minor_cannot_take_over_a_medium_group(reviewer):
    owner = UserFactory(verification_level=2)
    group = make_group(owner, tier="medium")
    teen = UserFactory()
    services.identity_approve(submission_id=_submit(teen, _born(15)).pk, reviewer=reviewer, origin=ORIGIN)
    add_member(group, teen)
    with pytest.raises(ApplicationError) as err:
        group_services.group_transfer_offer(actor=owner, group=group, new_owner=teen, origin=ORIGIN)
    assert err.value.code == "owner_minor"


@pytest.mark.clause("G6b")
def test_a_reviewer_records_the_guardian_consent_in_the_admin(reviewer, client):
    child = UserFactory()
    client.force_login(reviewer)
    page = client.get("/admin/accounts/guardianconsent/add/")
    assert page.status_code == 200
    response = client.post("/admin/accounts/guardianconsent/add/", {
        "user": child.pk, "relationship": "parent", "guardian_name": "李大明", "evidence": "同意书编号 2026-7"})
    assert response.status_code == 302, response.content[:2000]
    consent = GuardianConsent.objects.get(user=child)
    assert consent.recorded_by == reviewer and consent.guardian_name_masked == "李**"
    listing = client.get("/admin/accounts/guardianconsent/").content.decode()
    assert "李**" in listing and "李大明" not in listing
