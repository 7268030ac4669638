"""Who may own, manage and close a group (issue 14 items 5, 7, 8; G8c, G9a, G11a).

- Accepting an ownership transfer applies the same owner checks as creating a group of that tier.
- The acknowledgement of duties when granting admin belongs to the owner who gave it.
- Only the owner closes through the public API; a platform closure goes through the same service, with reason and
  record, and is the moderation app's to call.
"""

import pytest

from accounts.models import GradePermission, User
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups import services
from groups.models import (
    AuditAction,
    Group,
    GroupAuditEvent,
    GroupStatus,
    Membership,
    OwnerDutyAcknowledgement,
    TierPolicy,
)
from tests.factories import ORIGIN, UserFactory, add_member, make_group

pytestmark = pytest.mark.django_db


def _user(level=2, score=80, **kwargs):
    user = UserFactory(verification_level=level, **kwargs)
    User.objects.filter(pk=user.pk).update(credit_score=score)
    user.refresh_from_db()
    return user


def _medium_group(owner):
    group = make_group(owner, tier="medium")
    assert group.tier.slug == "medium"
    return group


def _offer(group, owner, new_owner):
    add_member(group, new_owner)
    return services.group_transfer_offer(actor=owner, group=group, new_owner=new_owner, origin=ORIGIN)


def _accept(group, user):
    return services.group_transfer_accept(user=user, group=group, acknowledge_duties=True, origin=ORIGIN)


# --- item 5: the new owner qualifies for the group's tier ------------------------------------------------------------
@pytest.mark.clause("G8c")
def test_a_phone_only_user_cannot_take_over_a_medium_group():
    owner, taker = _user(level=2), _user(level=1)
    group = _medium_group(owner)
    add_member(group, taker)
    with pytest.raises(ApplicationError) as err:
        services.group_transfer_offer(actor=owner, group=group, new_owner=taker, origin=ORIGIN)
    assert err.value.code == "owner_verification_level"
    # Qualified at the offer, not any more at the acceptance: refused then too, nothing changes.
    User.objects.filter(pk=taker.pk).update(verification_level=2)
    services.group_transfer_offer(actor=owner, group=group, new_owner=taker, origin=ORIGIN)
    User.objects.filter(pk=taker.pk).update(verification_level=1)
    with pytest.raises(ApplicationError) as err:
        _accept(group, taker)
    assert err.value.code == "owner_verification_level"
    group.refresh_from_db()
    assert group.owner_id == owner.pk
    assert Membership.objects.get(group=group, user=taker).role == "member"


@pytest.mark.clause("G7b")
def test_a_grade_d_user_cannot_take_over_any_group():
    owner = _user(level=1)
    group = make_group(owner)
    taker = _user(level=2)
    _offer(group, owner, taker)
    User.objects.filter(pk=taker.pk).update(credit_score=40)  # grade D since the offer
    with pytest.raises(ApplicationError) as err:
        _accept(group, taker)
    assert err.value.code == "credit_insufficient"
    assert Group.objects.get(pk=group.pk).owner_id == owner.pk


@pytest.mark.clause("G8a")
def test_taking_over_counts_against_the_cap_of_groups_owned():
    GradePermission.objects.filter(grade="B").update(groups_owned_max=1)
    taker = _user(level=2)
    make_group(taker)  # already owns one: the cap
    owner = _user(level=2)
    group = make_group(owner)
    add_member(group, taker)
    with pytest.raises(ApplicationError) as err:
        services.group_transfer_offer(actor=owner, group=group, new_owner=taker, origin=ORIGIN)
    assert err.value.code == "groups_owned_limit"


@pytest.mark.clause("G8c")
def test_a_qualified_user_takes_over_and_the_old_owner_becomes_admin():
    owner, taker = _user(level=2), _user(level=2)
    group = _medium_group(owner)
    _offer(group, owner, taker)
    _accept(group, taker)
    roles = dict(Membership.objects.filter(group=group).values_list("user", "role"))
    assert roles == {owner.pk: "admin", taker.pk: "owner"}


@pytest.mark.clause("G9a")
def test_an_old_owner_who_may_not_be_admin_stays_a_plain_member():
    owner, taker = _user(level=2), _user(level=2)
    group = _medium_group(owner)
    _offer(group, owner, taker)
    User.objects.filter(pk=owner.pk).update(credit_score=55)  # grade C: not admin-eligible
    _accept(group, taker)
    roles = dict(Membership.objects.filter(group=group).values_list("user", "role"))
    assert roles == {owner.pk: "member", taker.pk: "owner"}
    event = GroupAuditEvent.objects.filter(group=group, action=AuditAction.TRANSFER).order_by("-pk").first()
    assert event.data["old_owner_role"] == "member"


# --- item 7: the admin acknowledgement is the owner's ----------------------------------------------------------------
@pytest.mark.clause("G9a")
def test_the_admin_acknowledgement_is_recorded_under_the_owner_who_gave_it():
    owner, alice = _user(), _user()
    group = make_group(owner)
    add_member(group, alice)
    services.member_set_role(actor=owner, group=group, target=alice, role="admin", origin=ORIGIN,
                             acknowledge_duties=True)
    acks = OwnerDutyAcknowledgement.objects.filter(group=group, occasion="admin")
    assert [a.user_id for a in acks] == [owner.pk]
    event = GroupAuditEvent.objects.get(group=group, action=AuditAction.ROLE)
    assert event.actor_id == owner.pk and event.target_id == alice.pk


# --- item 8: who closes a group ----------------------------------------------------------------------------------
@pytest.mark.clause("G9a")
def test_staff_cannot_close_someone_elses_group_through_the_public_api(api):
    owner = _user()
    group = make_group(owner)
    staff = UserFactory(is_staff=True, is_superuser=True)
    response = api(staff).post(f"/api/v1/groups/{group.code}/close/", {"reason": "看着不顺眼"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_member"
    assert Group.objects.get(pk=group.pk).status != GroupStatus.CLOSED
    with pytest.raises(ApplicationError):
        services.group_close(actor=staff, group=group, reason="x", origin=ORIGIN)


@pytest.mark.clause("G9a")
def test_the_owner_closes_and_it_is_recorded_with_who_and_why(api):
    owner = _user()
    group = make_group(owner)
    response = api(owner).post(f"/api/v1/groups/{group.code}/close/", {"reason": "活动结束"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    event = GroupAuditEvent.objects.get(group=group, action=AuditAction.CLOSE)
    assert event.actor_id == owner.pk and event.data == {"reason": "活动结束", "by_platform": False}


@pytest.mark.clause("G11a")
def test_a_platform_closure_needs_a_reason_and_is_recorded():
    owner = _user()
    group = make_group(owner)
    moderator = UserFactory(is_staff=True)
    with pytest.raises(ApplicationError) as err:
        services.group_close(actor=moderator, group=group, reason=" ", origin=ORIGIN, by_platform=True)
    assert err.value.code == "close_reason_required"
    services.group_close(actor=moderator, group=group, reason="传播违法信息", origin=ORIGIN, by_platform=True)
    group.refresh_from_db()
    assert group.status == GroupStatus.CLOSED and group.status_reason == "传播违法信息"
    event = GroupAuditEvent.objects.get(group=group, action=AuditAction.CLOSE)
    assert event.actor_id == moderator.pk and event.data == {"reason": "传播违法信息", "by_platform": True}
    assert LogEntry.objects.filter(kind="group.close", actor_id=moderator.pk, group_code=group.code).exists()


def test_tier_of_a_medium_group_is_medium():
    # Guard for the helpers above: the medium tier exists with its L2 owner requirement.
    assert TierPolicy.objects.get(slug="medium").owner_verification_level == 2
