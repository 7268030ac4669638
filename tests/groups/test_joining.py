"""Joining (G8c): open, approval, question + approval, invitation only; invitations; leave, remove, ban; role badges;
and the member cap (G8a)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups import services
from groups.models import (
    AuditAction,
    Ban,
    GroupAuditEvent,
    Invitation,
    InvitationStatus,
    JoinRequest,
    Membership,
    RequestStatus,
)
from tests.factories import make_group

pytestmark = pytest.mark.django_db


def _code_of(call) -> str:
    with pytest.raises(ApplicationError) as err:
        call()
    return err.value.code


# --- join modes ------------------------------------------------------------------------------------------------------
@pytest.mark.clause("G8c")
def test_open_group_joins_at_once(owner, alice, origin, django_capture_on_commit_callbacks):
    group = make_group(owner, join_mode="open")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        membership = services.group_join(user=alice, group=group, origin=origin)
    assert isinstance(membership, Membership) and membership.role == "member"
    group.refresh_from_db()
    assert group.member_count == 2 == group.memberships.count()
    event = GroupAuditEvent.objects.get(group=group, action=AuditAction.JOIN, target=alice)
    assert event.data["via"] == "open"
    entry = LogEntry.objects.get(kind="group.join", group_code=group.code, target_id=alice.pk)
    assert entry.ip == origin.ip and entry.port == origin.port
    assert callbacks  # the new member's sockets subscribe live
    assert _code_of(lambda: services.group_join(user=alice, group=group, origin=origin)) == "already_member"


@pytest.mark.clause("G8c")
def test_approval_group_files_a_request_that_an_admin_approves(owner, alice, origin):
    group = make_group(owner, join_mode="approval")
    request = services.group_join(user=alice, group=group, origin=origin)
    assert isinstance(request, JoinRequest) and request.status == RequestStatus.PENDING
    assert not Membership.objects.filter(group=group, user=alice).exists()
    assert _code_of(lambda: services.group_join(user=alice, group=group, origin=origin)) == "request_pending"

    services.join_request_decide(actor=owner, request_id=request.pk, approve=True, origin=origin)

    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.decided_by == owner
    assert Membership.objects.get(group=group, user=alice).role == "member"
    event = GroupAuditEvent.objects.get(group=group, action=AuditAction.JOIN, target=alice)
    assert event.actor == owner and event.data["approved_by"] == owner.pk
    assert _code_of(lambda: services.join_request_decide(actor=owner, request_id=request.pk, approve=True,
                                                         origin=origin)) == "request_not_pending"


@pytest.mark.clause("G8c")
def test_question_group_needs_an_answer_then_approval(owner, alice, bob, origin):
    group = make_group(owner, join_mode="question", join_question="你从哪里知道本群？")
    assert _code_of(lambda: services.group_join(user=alice, group=group, answer="  ", origin=origin)) == "answer_required"
    request = services.group_join(user=alice, group=group, answer="朋友介绍", origin=origin)
    assert request.answer == "朋友介绍" and not Membership.objects.filter(group=group, user=alice).exists()
    services.join_request_decide(actor=owner, request_id=request.pk, approve=True, origin=origin)
    assert Membership.objects.filter(group=group, user=alice).exists()

    refused = services.group_join(user=bob, group=group, answer="随便", origin=origin)
    services.join_request_decide(actor=owner, request_id=refused.pk, approve=False, origin=origin)
    refused.refresh_from_db()
    assert refused.status == RequestStatus.REFUSED
    assert not Membership.objects.filter(group=group, user=bob).exists()
    assert GroupAuditEvent.objects.filter(group=group, action=AuditAction.REFUSE, target=bob, actor=owner).exists()


@pytest.mark.clause("G8c")
def test_invite_only_group_needs_an_invitation_the_invitee_accepts(owner, alice, bob, origin, api):
    group = make_group(owner, join_mode="invite")
    assert _code_of(lambda: services.group_join(user=alice, group=group, origin=origin)) == "invite_only"
    response = api(alice).post(f"/api/v1/groups/{group.code}/join/", {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "invite_only"

    invitation = services.invitation_create(actor=owner, group=group, invitee=alice, origin=origin)
    # The invitation alone does not make alice a member: she must accept it.
    assert not Membership.objects.filter(group=group, user=alice).exists()
    assert _code_of(lambda: services.invitation_accept(user=bob, token=invitation.token, origin=origin)) == "not_invitee"

    membership = services.invitation_accept(user=alice, token=invitation.token, origin=origin)

    assert membership.invited_by == owner
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    entry = LogEntry.objects.get(kind="group.join", target_id=alice.pk, group_code=group.code)
    assert entry.data["inviter"] == owner.pk and entry.data["via"] == "invitation"
    assert _code_of(lambda: services.invitation_accept(user=alice, token=invitation.token,
                                                       origin=origin)) == "invitation_invalid"


@pytest.mark.clause("G8c")
def test_invitee_may_decline(owner, alice, origin):
    group = make_group(owner, join_mode="invite")
    invitation = services.invitation_create(actor=owner, group=group, invitee=alice, origin=origin)
    services.invitation_decline(user=alice, token=invitation.token)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert _code_of(lambda: services.invitation_accept(user=alice, token=invitation.token,
                                                       origin=origin)) == "invitation_invalid"
    assert not Membership.objects.filter(group=group, user=alice).exists()


@pytest.mark.clause("G8c")
def test_invite_link_is_shareable_and_records_the_inviter(owner, alice, bob, origin, user_factory):
    group = make_group(owner, join_mode="invite")
    admin = user_factory()
    Membership.objects.create(group=group, user=admin, role="admin")
    link = services.invitation_create(actor=admin, group=group, origin=origin)
    assert link.is_link
    services.invitation_accept(user=alice, token=link.token, origin=origin)
    services.invitation_accept(user=bob, token=link.token, origin=origin)
    link.refresh_from_db()
    assert link.uses == 2 and link.status == InvitationStatus.PENDING
    inviters = set(LogEntry.objects.filter(kind="group.join", group_code=group.code).values_list("data__inviter",
                                                                                                flat=True))
    assert inviters == {admin.pk}
    assert set(Membership.objects.filter(group=group, user__in=[alice, bob]).values_list("invited_by", flat=True)) == {
        admin.pk}


@pytest.mark.clause("G8c")
def test_invitations_expire_after_seven_days_with_410(owner, alice, bob, origin, api):
    group = make_group(owner, join_mode="invite")
    personal = services.invitation_create(actor=owner, group=group, invitee=alice, origin=origin)
    link = services.invitation_create(actor=owner, group=group, origin=origin)
    for invitation in (personal, link):
        assert invitation.expires_at - invitation.created_at == pytest.approx(timedelta(days=7), abs=timedelta(seconds=5))

    # Seven days and a second later.
    Invitation.objects.filter(pk__in=[personal.pk, link.pk]).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert _code_of(lambda: services.invitation_accept(user=alice, token=personal.token,
                                                       origin=origin)) == "invitation_expired"
    response = api(bob).post(f"/api/v1/invitations/{link.token}/accept/")
    assert response.status_code == 410 and response.json()["code"] == "invitation_expired"
    assert response.json()["detail"]
    # After the hourly sweep marks them expired, the answer is the same.
    assert services.invitations_expire_due() == 2
    response = api(alice).post(f"/api/v1/invitations/{personal.token}/accept/")
    assert response.status_code == 410 and response.json()["code"] == "invitation_expired"
    assert not Membership.objects.filter(group=group, user__in=[alice, bob]).exists()


# --- leave, remove, ban ----------------------------------------------------------------------------------------------
@pytest.mark.clause("G9b")
def test_leave(owner, alice, origin, member_of):
    group = make_group(owner)
    member_of(group, alice)
    services.member_leave(user=alice, group=group, origin=origin)
    group.refresh_from_db()
    assert group.member_count == 1 == group.memberships.count()
    assert LogEntry.objects.filter(kind="group.leave", actor_id=alice.pk, group_code=group.code).exists()
    assert _code_of(lambda: services.member_leave(user=alice, group=group, origin=origin)) == "not_member"
    assert _code_of(lambda: services.member_leave(user=owner, group=group, origin=origin)) == "owner_cannot_leave"


@pytest.mark.clause("G9b")
def test_removed_member_may_rejoin_but_banned_may_not(owner, alice, bob, origin, member_of):
    group = make_group(owner)
    member_of(group, alice)
    member_of(group, bob)
    services.member_remove(actor=owner, group=group, target=alice, origin=origin)
    services.member_remove(actor=owner, group=group, target=bob, origin=origin, ban=True, reason="spam")
    group.refresh_from_db()
    assert group.member_count == 1 == group.memberships.count()
    assert Ban.objects.filter(group=group, user=bob).exists()

    services.group_join(user=alice, group=group, origin=origin)
    assert _code_of(lambda: services.group_join(user=bob, group=group, origin=origin)) == "banned_from_group"
    # Nor by invitation, nor by asking.
    invitation = services.invitation_create(actor=owner, group=group, invitee=bob, origin=origin)
    assert _code_of(lambda: services.invitation_accept(user=bob, token=invitation.token,
                                                       origin=origin)) == "banned_from_group"
    services.group_update(actor=owner, group=group, origin=origin, join_mode="approval")
    assert _code_of(lambda: services.group_join(user=bob, group=group, origin=origin)) == "banned_from_group"

    services.member_unban(actor=owner, group=group, target=bob, origin=origin)
    services.group_update(actor=owner, group=group, origin=origin, join_mode="open")
    services.group_join(user=bob, group=group, origin=origin)
    assert Membership.objects.filter(group=group, user=bob).exists()


# --- role badges -----------------------------------------------------------------------------------------------------
@pytest.mark.clause("G8c")
def test_member_json_carries_role_badges(owner, alice, bob, origin, member_of, api):
    group = make_group(owner)
    member_of(group, alice)
    member_of(group, bob)
    services.member_set_role(actor=owner, group=group, target=alice, role="admin", origin=origin,
                             acknowledge_duties=True)
    response = api(bob).get(f"/api/v1/groups/{group.code}/members/")
    assert response.status_code == 200
    roles = {m["user"]["id"]: m["role"] for m in response.json()["results"]}
    assert roles == {owner.pk: "owner", alice.pk: "admin", bob.pk: "member"}
    assert {m["role"] for m in response.json()["results"]} <= {"owner", "admin", "member"}
    info = api().get(f"/api/v1/groups/{group.code}/").json()
    assert {a["role"] for a in info["admins"]} == {"owner", "admin"}


@pytest.mark.clause("G8c")
def test_message_payload_carries_the_sender_role_badge(owner, alice, bob, origin, member_of, api):
    group = make_group(owner)
    member_of(group, alice, role="admin")
    member_of(group, bob)
    roles = {}
    for user in (owner, alice, bob):
        result = services.message_send(sender=user, group_code=group.code, body="hi", client_id=f"c{user.pk}",
                                       origin=origin)
        roles[user.pk] = result.payload["sender"]["role"]
    assert roles == {owner.pk: "owner", alice.pk: "admin", bob.pk: "member"}
    history = api(bob).get(f"/api/v1/groups/{group.code}/messages/").json()["results"]
    assert {m["sender"]["id"]: m["sender"]["role"] for m in history} == roles


# --- caps (G8a) ------------------------------------------------------------------------------------------------------
@pytest.mark.clause("G8a")
def test_joining_a_full_group_is_refused_with_409(owner, alice, bob, user_factory, origin, api):
    group = make_group(owner)
    group.member_cap = 2
    group.save(update_fields=["member_cap"])
    services.group_join(user=alice, group=group, origin=origin)
    assert _code_of(lambda: services.group_join(user=bob, group=group, origin=origin)) == "group_full"
    response = api(bob).post(f"/api/v1/groups/{group.code}/join/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "group_full"
    group.refresh_from_db()
    assert group.member_count == 2 == group.memberships.count()


@pytest.mark.clause("G8a")
def test_full_group_refuses_approvals_and_invitations_too(owner, alice, bob, user_factory, origin):
    group = make_group(owner, join_mode="approval")
    request = services.group_join(user=alice, group=group, origin=origin)
    invitation = services.invitation_create(actor=owner, group=group, invitee=bob, origin=origin)
    group.member_cap = 1
    group.save(update_fields=["member_cap"])
    assert _code_of(lambda: services.join_request_decide(actor=owner, request_id=request.pk, approve=True,
                                                         origin=origin)) == "group_full"
    assert _code_of(lambda: services.invitation_accept(user=bob, token=invitation.token, origin=origin)) == "group_full"
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert group.memberships.count() == 1


# --- the same flows over HTTP -----------------------------------------------------------------------------------------
@pytest.mark.clause("G8c")
def test_join_flows_over_the_api(owner, alice, bob, api):
    code = api(owner).post("/api/v1/groups/", {"name": "审核群", "join_mode": "question", "join_question": "为什么？",
                                               "acknowledge_duties": True}, format="json").json()["code"]
    response = api(alice).post(f"/api/v1/groups/{code}/join/", {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "answer_required"
    response = api(alice).post(f"/api/v1/groups/{code}/join/", {"answer": "学习"}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    pending = api(owner).get(f"/api/v1/groups/{code}/requests/").json()["results"]
    assert [(r["user"]["id"], r["answer"]) for r in pending] == [(alice.pk, "学习")]
    response = api(owner).post(f"/api/v1/requests/{pending[0]['id']}/decide/", {"approve": True}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "approved"

    response = api(owner).post(f"/api/v1/groups/{code}/invitations/", {"user_id": bob.pk}, format="json")
    assert response.status_code == 201
    invitation = response.json()
    assert invitation["link"] == f"/invite/{invitation['token']}/" and invitation["expires_at"]
    response = api(bob).post(f"/api/v1/invitations/{invitation['token']}/accept/")
    assert response.status_code == 201 and response.json() == {"group": code, "role": "member"}
    roles = {m["user"]["id"]: m["role"] for m in api(bob).get(f"/api/v1/groups/{code}/members/").json()["results"]}
    assert roles == {owner.pk: "owner", alice.pk: "member", bob.pk: "member"}


@pytest.mark.clause("G8b")
def test_info_page_is_public_and_shows_the_required_fields(owner, alice, origin, member_of, api):
    group = make_group(owner, name="公开群", category="interest", announcement="欢迎")
    member_of(group, alice, role="admin")
    info = api().get(f"/api/v1/groups/{group.code}/").json()
    assert (info["code"], info["name"], info["member_count"], info["announcement"]) == (group.code, "公开群", 2, "欢迎")
    assert info["category"] and info["created_at"]
    assert {(a["user"]["id"], a["role"]) for a in info["admins"]} == {(owner.pk, "owner"), (alice.pk, "admin")}
