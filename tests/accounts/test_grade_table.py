"""The credit grade table and the tier policies are part of the filed tier system (issue 14 item 9; G7a, G7b).

Editing the grade table in the admin makes a new, unfiled filing version, like editing a tier; values that break a
floor (a lower grade allowing more than a higher one, an unknown tier, an unreadable rate, a tier owner below the
level needed to post, a group over 100 members with an owner below L2) are refused with a clear message.
"""

import pytest
from django.core import checks

from accounts import services
from accounts.models import GradePermission
from compliance.models import FilingRecord
from compliance.selectors import filing_unfiled
from compliance.services import filing
from groupchat.core.errors import ApplicationError
from groups.models import TierPolicy

pytestmark = pytest.mark.django_db


def _row(grade: str) -> dict:
    row = GradePermission.objects.get(grade=grade)
    return {"grade": row.grade, "groups_owned_max": row.groups_owned_max,
            "groups_created_per_day": row.groups_created_per_day, "groups_joined_max": row.groups_joined_max,
            "admin_eligible": "on" if row.admin_eligible else "", "max_owned_tier": row.max_owned_tier,
            "message_rate": row.message_rate}


@pytest.fixture
def filed(admin_user):
    filing.filing_version_create(actor=admin_user, summary="initial")
    filing.filing_mark_filed(actor=admin_user, filing=FilingRecord.objects.get(), filing_number="京网信备-001")
    assert filing_unfiled() is None


@pytest.mark.clause("G7a")
def test_editing_the_grade_table_in_the_admin_makes_a_filing_version(admin_client, filed):
    row = GradePermission.objects.get(grade="B")
    response = admin_client.post(f"/admin/accounts/gradepermission/{row.pk}/change/",
                                 {**_row("B"), "groups_owned_max": 8})
    assert response.status_code == 302, response.content[:3000]
    assert GradePermission.objects.get(grade="B").groups_owned_max == 8
    unfiled = filing_unfiled()
    assert unfiled is not None and unfiled.version == 2 and "groups_owned_max" in unfiled.change_summary
    caps = {g["grade"]: g for g in unfiled.snapshot["grade_caps"]}
    assert caps["B"]["groups_owned_max"] == 8


@pytest.mark.clause("G7b")
@pytest.mark.parametrize(("grade", "change"), [
    ("C", {"groups_owned_max": 50}),  # a lower grade may not allow more than a higher one
    ("A", {"groups_joined_max": 10}),  # nor a higher grade less than a lower one
    ("D", {"admin_eligible": "on"}),  # D eligible to be admin while C is not
    ("B", {"max_owned_tier": "huge"}),  # no such tier
    ("B", {"message_rate": "fast"}),  # not a rate
])
def test_grade_table_values_below_a_floor_are_refused(admin_client, filed, grade, change):
    before = _row(grade)
    row = GradePermission.objects.get(grade=grade)
    response = admin_client.post(f"/admin/accounts/gradepermission/{row.pk}/change/", {**before, **change})
    assert response.status_code == 200  # the form again, with the error
    assert "errornote" in response.content.decode()
    assert _row(grade) == before
    assert filing_unfiled() is None


@pytest.mark.clause("G7a")
def test_the_service_refuses_and_files_alike(admin_user, filed):
    row = GradePermission.objects.get(grade="D")
    with pytest.raises(ApplicationError) as err:
        services.grade_permission_update(actor=admin_user, grade="D", values={"groups_owned_max": 99})
    assert err.value.code == "grade_table_invalid"
    assert "groups_owned_max" in err.value.detail("en") and "C" in err.value.detail("en")
    assert err.value.detail("zh-hans") != err.value.detail("en")
    services.grade_permission_update(actor=admin_user, grade="D", values={"groups_joined_max": 20})
    row.refresh_from_db()
    assert row.groups_joined_max == 20 and filing_unfiled().version == 2


@pytest.mark.clause("G6a")
@pytest.mark.parametrize(("change", "why"), [
    ({"owner_verification_level": 0}, "L1"),  # below the level needed to post
    ({"max_members": 150}, "L2"),  # over 100 members with an L1 owner
])
def test_tier_policy_below_a_floor_is_refused_in_the_admin(admin_client, filed, change, why):
    small = TierPolicy.objects.get(slug="small")
    form = {"slug": "small", "name_zh": small.name_zh, "name_en": small.name_en, "rank": 1, "max_members": 100,
            "owner_verification_level": 1, "owner_min_grade": "C", "review_exempt_level": 0,
            "join_modes": '["open", "approval"]', "link_join_max_members": 200, "approval_from_members": 500,
            "invitee_accept_above": 40, "info_required_from_members": 100, "screening_intensity": "standard"}
    response = admin_client.post(f"/admin/groups/tierpolicy/{small.pk}/change/", {**form, **change})
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert why in response.content.decode()
    small.refresh_from_db()
    assert small.max_members == 100 and small.owner_verification_level == 1
    assert filing_unfiled() is None


@pytest.mark.clause("G6a")
def test_a_post_level_below_l1_is_a_configuration_error(settings):
    settings.ACCOUNTS = {"POST_LEVEL": 0}
    errors = [e for e in checks.run_checks() if e.id == "accounts.E001"]
    assert errors and "POST_LEVEL" in errors[0].msg
    settings.ACCOUNTS = {"POST_LEVEL": 1}
    assert not [e for e in checks.run_checks() if e.id == "accounts.E001"]
