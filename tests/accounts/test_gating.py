"""Send / create / join / admin gates lent by accounts through hooks (G6a, G5b, G7b)."""

import pytest

from accounts import services as accounts
from accounts.models import AgreementAcceptance, User
from groupchat.core.errors import ApplicationError
from groups import services as groups
from tests.factories import UserFactory, add_member, make_group

pytestmark = pytest.mark.django_db


def _send(user, group, origin, client_id="c1"):
    return groups.message_send(sender=user, group_code=group.code, body="你好", client_id=client_id, origin=origin)


@pytest.mark.clause("G6a")
def test_unverified_send_refused_then_allowed_after_verification(group, origin, reviewer, submit_personal):
    user = UserFactory()
    add_member(group, user)
    User.objects.filter(pk=user.pk).update(verification_level=0)
    user.refresh_from_db()
    with pytest.raises(ApplicationError) as err:
        _send(user, group, origin)
    assert err.value.code == "realname_required"
    assert "实名" in err.value.detail("zh-hans") and "Verify" in err.value.detail("en")
    User.objects.filter(pk=user.pk).update(verification_level=1)  # e.g. phone_verify in another tab
    assert _send(user, group, origin).created  # the stale ``user`` object is not trusted


@pytest.mark.clause("G6a")
def test_unverified_cannot_create_or_join(group, origin):
    user = UserFactory(verification_level=0)
    with pytest.raises(ApplicationError) as err:
        make_group(user)
    # groups checks the tier's owner level before running the hook; either way an unverified user cannot create.
    assert err.value.code in ("realname_required", "owner_verification_level")
    with pytest.raises(ApplicationError) as err:
        groups.group_join(user=user, group=group, origin=origin)
    assert err.value.code == "realname_required"


@pytest.mark.clause("G5b")
def test_new_material_version_blocks_posting_until_accepted(group, alice, origin, publish_material, api):
    add_member(group, alice)
    assert _send(alice, group, origin, "before").created
    new = publish_material()
    with pytest.raises(ApplicationError) as err:
        _send(alice, group, origin, "after")
    assert err.value.code == "agreement_required"
    assert err.value.extra["missing"][0]["id"] == new.pk
    # Over HTTP too, with the same code.
    response = api(alice).post(f"/api/v1/groups/{group.code}/messages/", {"body": "hi", "client_id": "h1"},
                               format="json")
    assert response.status_code == 403 and response.json()["code"] == "agreement_required"
    with pytest.raises(ApplicationError) as err:
        make_group(alice)
    assert err.value.code == "agreement_required"
    accounts.agreements_accept(user=alice, agreement_ids=[new.pk], origin=origin)
    assert AgreementAcceptance.objects.get(user=alice, agreement=new).ip == origin.ip
    assert _send(alice, group, origin, "after").created
    response = api(alice).post(f"/api/v1/groups/{group.code}/messages/", {"body": "hi", "client_id": "h1"},
                               format="json")
    assert response.status_code == 201


@pytest.mark.clause("G5b")
def test_non_material_version_does_not_block(group, alice, origin, publish_material):
    add_member(group, alice)
    draft = publish_material()
    accounts.agreements_accept(user=alice, agreement_ids=[draft.pk])
    from accounts.models import Agreement

    minor = Agreement.objects.create(kind="service", version="2099.2", title_zh="t", title_en="t", body_zh="b",
                                     body_en="b", material=False)
    accounts.agreement_publish(agreement=minor)
    assert _send(alice, group, origin).created


@pytest.mark.clause("G7b")
def test_grade_d_user_is_refused_group_creation(origin):
    user = UserFactory()
    accounts.credit_change(user=user, delta=-40, reason_code="fraud", source="measure", ref="m-1")
    with pytest.raises(ApplicationError) as err:
        make_group(user)
    assert err.value.code == "credit_insufficient"


@pytest.mark.clause("G7b")
def test_groups_created_per_day_by_grade(origin, settings):
    user = UserFactory()
    accounts.credit_change(user=user, delta=-25, reason_code="spam", source="measure")  # 55 -> grade C: 1 a day
    make_group(user)
    with pytest.raises(ApplicationError) as err:
        make_group(user, name="第二个群")
    assert err.value.code in ("credit_insufficient", "groups_created_limit")


@pytest.mark.clause("G7b")
def test_admin_eligibility_by_grade(group, owner, alice, origin):
    add_member(group, alice)
    accounts.credit_change(user=alice, delta=-20, reason_code="spam", source="complaint")  # 60 -> C
    with pytest.raises(ApplicationError) as err:
        groups.member_set_role(actor=owner, group=group, target=alice, role="admin", origin=origin,
                              acknowledge_duties=True)
    assert err.value.code == "credit_insufficient"
    accounts.credit_change(user=alice, delta=20, reason_code="appeal_upheld", source="appeal")
    assert groups.member_set_role(actor=owner, group=group, target=alice, role="admin", origin=origin,
                              acknowledge_duties=True).role == "admin"


@pytest.mark.clause("G5b")
def test_one_query_gate_state_matches_the_detailed_check(alice, bob, publish_material, django_assert_num_queries):
    from accounts.selectors import agreements_missing, user_gate_state

    new = publish_material()
    accounts.agreements_accept(user=alice, agreement_ids=[new.pk])
    with django_assert_num_queries(1):
        state_alice = user_gate_state(alice.pk)
    state_bob = user_gate_state(bob.pk)
    assert state_alice.agreements_missing is False and agreements_missing(alice) == []
    assert state_bob.agreements_missing is True and agreements_missing(bob) == [new]
    assert (state_alice.level, state_alice.grade, state_alice.message_rate) == (1, "B", "20/10second")


def test_gate_state_reads_the_grade_table_with_settings_fallback(alice):
    from accounts.models import GradePermission
    from accounts.selectors import user_gate_state

    GradePermission.objects.update_or_create(grade="B", defaults=dict(
        groups_owned_max=1, groups_created_per_day=1, groups_joined_max=1, admin_eligible=True,
        max_owned_tier="small", message_rate="7/minute"))
    assert user_gate_state(alice.pk).message_rate == "7/minute"
    GradePermission.objects.filter(grade="B").delete()
    assert user_gate_state(alice.pk).message_rate == "20/10second"
