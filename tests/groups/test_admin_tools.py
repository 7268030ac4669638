"""Owner and admin tools (G9b) and their responsibilities (G9a).

The permission matrix: a plain member is refused every management action; admins act only on plain members; the owner
acts on anyone. Every action taken writes a group audit event and a network-log row.
"""

from dataclasses import dataclass

import pytest

from accounts.models import User
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups import services
from groups.models import (
    AuditAction,
    Ban,
    Group,
    GroupAuditEvent,
    JoinRequest,
    Membership,
    Message,
    OwnerDutyAcknowledgement,
)
from tests.factories import ORIGIN, UserFactory, make_group

pytestmark = pytest.mark.django_db


@dataclass
class Cast:
    group: Group
    owner: User
    admin: User
    admin2: User
    member: User
    target: User  # a plain member acted upon
    applicant: User
    request: JoinRequest
    owner_message: Message
    admin2_message: Message
    target_message: Message


@pytest.fixture
def cast(db) -> Cast:
    owner, admin, admin2, member, target, applicant = (UserFactory(nickname=n) for n in
                                                       ("群主", "管理员", "管理员2", "成员", "目标", "申请人"))
    group = make_group(owner, join_mode="open")
    for user in (admin, admin2, member, target):
        services.group_join(user=user, group=group, origin=ORIGIN)
    for user in (admin, admin2):
        services.member_set_role(actor=owner, group=group, target=user, role="admin", origin=ORIGIN,
                                 acknowledge_duties=True)
    request = JoinRequest.objects.create(group=group, user=applicant)

    def say(user, text):
        return services.message_send(sender=user, group_code=group.code, body=text, client_id=f"m{user.pk}",
                                      origin=ORIGIN).message

    group.refresh_from_db()
    return Cast(group, owner, admin, admin2, member, target, applicant, request, say(owner, "我是群主"),
                say(admin2, "我是管理员"), say(target, "我是成员"))


# name -> (service call on behalf of ``actor`` against the cast, the audit action it writes, network-log kind)
ACTIONS = {
    "mute": (lambda c, a, t: services.member_mute(actor=a, group=c.group, target=t, minutes=10, origin=ORIGIN),
             AuditAction.MUTE),
    "remove": (lambda c, a, t: services.member_remove(actor=a, group=c.group, target=t, origin=ORIGIN),
               AuditAction.REMOVE),
    "ban": (lambda c, a, t: services.member_remove(actor=a, group=c.group, target=t, ban=True, origin=ORIGIN),
            AuditAction.BAN),
    "delete_message": (lambda c, a, t: services.message_remove(
        actor=a, group=c.group, message_id=Message.objects.get(group=c.group, sender=t).pk, origin=ORIGIN),
        AuditAction.DELETE_MESSAGE),
    "approve": (lambda c, a, t: services.join_request_decide(actor=a, request_id=c.request.pk, approve=True,
                                                             origin=ORIGIN), AuditAction.JOIN),
    "refuse": (lambda c, a, t: services.join_request_decide(actor=a, request_id=c.request.pk, approve=False,
                                                            origin=ORIGIN), AuditAction.REFUSE),
    "announce": (lambda c, a, t: services.group_update(actor=a, group=c.group, announcement="公告", origin=ORIGIN),
                 AuditAction.UPDATE),
    "rules": (lambda c, a, t: services.group_update(actor=a, group=c.group, rules="群规", origin=ORIGIN),
              AuditAction.UPDATE),
    "rename": (lambda c, a, t: services.group_update(actor=a, group=c.group, name="新名字", origin=ORIGIN),
               AuditAction.UPDATE),
    "join_settings": (lambda c, a, t: services.group_update(actor=a, group=c.group, join_mode="approval",
                                                            origin=ORIGIN), AuditAction.SETTINGS),
    "mute_all": (lambda c, a, t: services.group_mute_all(actor=a, group=c.group, muted=True, origin=ORIGIN),
                 AuditAction.MUTE_ALL),
    "invite": (lambda c, a, t: services.invitation_create(actor=a, group=c.group, invitee=c.applicant, origin=ORIGIN),
               AuditAction.INVITE),
    "invite_link": (lambda c, a, t: services.invitation_create(actor=a, group=c.group, origin=ORIGIN),
                    AuditAction.LINK),
    "appoint_admin": (lambda c, a, t: services.member_set_role(actor=a, group=c.group, target=t, role="admin",
                                                               origin=ORIGIN, acknowledge_duties=True),
                      AuditAction.ROLE),
    "transfer": (lambda c, a, t: services.group_transfer_offer(actor=a, group=c.group, new_owner=t, origin=ORIGIN),
                 AuditAction.TRANSFER),
    "close": (lambda c, a, t: services.group_close(actor=a, group=c.group, reason="不再使用", origin=ORIGIN),
              AuditAction.CLOSE),
}
OWNER_ONLY = {"appoint_admin", "transfer", "close"}
# Actions aimed at a person: admins may aim them at plain members only.
AIMED = ["mute", "remove", "ban", "delete_message"]


def _refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as err:
        call()
    return err.value


def _unchanged(cast: Cast, before: int, call) -> ApplicationError:
    error = _refusal(call)
    assert GroupAuditEvent.objects.filter(group=cast.group).count() == before
    assert error.status == 403
    assert error.detail("zh-hans") != error.detail("en") and error.detail("en")
    return error


@pytest.mark.clause("G9b")
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_plain_member_is_refused_every_admin_action(cast, action):
    call, _ = ACTIONS[action]
    before = GroupAuditEvent.objects.filter(group=cast.group).count()
    error = _unchanged(cast, before, lambda: call(cast, cast.member, cast.target))
    assert error.code == ("not_group_owner" if action in OWNER_ONLY else "not_group_admin")


@pytest.mark.clause("G9b")
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_outsider_is_refused_every_admin_action(cast, action, user_factory):
    call, _ = ACTIONS[action]
    before = GroupAuditEvent.objects.filter(group=cast.group).count()
    error = _unchanged(cast, before, lambda: call(cast, user_factory(), cast.target))
    assert error.code == "not_member"


@pytest.mark.clause("G9b")
@pytest.mark.parametrize("action", AIMED)
@pytest.mark.parametrize("victim", ["owner", "admin2"])
def test_admin_cannot_act_on_owner_or_other_admins(cast, action, victim):
    call, _ = ACTIONS[action]
    before = GroupAuditEvent.objects.filter(group=cast.group).count()
    error = _unchanged(cast, before, lambda: call(cast, cast.admin, getattr(cast, victim)))
    assert error.code == "cannot_act_on_peer"
    assert not Message.objects.filter(group=cast.group, removed_at__isnull=False).exists()


@pytest.mark.clause("G9b")
@pytest.mark.parametrize("action", sorted(OWNER_ONLY))
def test_admin_cannot_use_owner_only_tools(cast, action):
    call, _ = ACTIONS[action]
    before = GroupAuditEvent.objects.filter(group=cast.group).count()
    assert _unchanged(cast, before, lambda: call(cast, cast.admin, cast.target)).code == "not_group_owner"


@pytest.mark.clause("G9b")
@pytest.mark.parametrize("action", sorted(set(ACTIONS) - OWNER_ONLY))
def test_admin_may_manage_plain_members_and_it_is_recorded(cast, action):
    _assert_recorded(cast, action, cast.admin, cast.target)


@pytest.mark.clause("G9b")
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_owner_may_do_everything_and_it_is_recorded(cast, action):
    _assert_recorded(cast, action, cast.owner, cast.target)


@pytest.mark.clause("G9b")
@pytest.mark.parametrize("action", AIMED)
def test_owner_may_act_on_admins(cast, action):
    _assert_recorded(cast, action, cast.owner, cast.admin2)


def _assert_recorded(cast: Cast, action: str, actor: User, target: User) -> None:
    call, audit_action = ACTIONS[action]
    call(cast, actor, target)
    event = GroupAuditEvent.objects.filter(group=cast.group, action=audit_action).latest("id")
    assert event.actor == actor
    entry = LogEntry.objects.filter(kind=f"group.{audit_action}", group_code=cast.group.code).latest("id")
    assert entry.actor_id == actor.pk and entry.ip == ORIGIN.ip and entry.port == ORIGIN.port
    if action in AIMED:
        assert event.target == target and entry.target_id == target.pk


@pytest.mark.clause("G9b")
def test_unban_and_unmute_are_recorded(cast):
    services.member_remove(actor=cast.admin, group=cast.group, target=cast.target, ban=True, origin=ORIGIN)
    services.member_unban(actor=cast.admin, group=cast.group, target=cast.target, origin=ORIGIN)
    assert not Ban.objects.filter(group=cast.group, user=cast.target).exists()
    services.member_mute(actor=cast.admin, group=cast.group, target=cast.member, minutes=5, origin=ORIGIN)
    services.member_mute(actor=cast.admin, group=cast.group, target=cast.member, minutes=None, origin=ORIGIN)
    actions = set(GroupAuditEvent.objects.filter(group=cast.group).values_list("action", flat=True))
    assert {AuditAction.UNBAN, AuditAction.UNMUTE} <= actions
    assert LogEntry.objects.filter(kind="group.unban", target_id=cast.target.pk).exists()


@pytest.mark.clause("G9b")
@pytest.mark.parametrize(("method", "path", "body", "code"), [
    ("post", "members/{target}/mute/", {"minutes": 10}, "not_group_admin"),
    ("post", "members/{target}/remove/", {"ban": True}, "not_group_admin"),
    ("delete", "bans/{target}/", None, "not_group_admin"),
    ("delete", "messages/{target_message}/", {}, "not_group_admin"),
    ("patch", "", {"announcement": "x"}, "not_group_admin"),
    ("patch", "", {"rules": "x"}, "not_group_admin"),
    ("post", "members/{target}/role/", {"role": "admin"}, "not_group_owner"),
    ("post", "transfer/", {"user_id": "{target}"}, "not_group_owner"),
    ("post", "mute-all/", {"muted": True}, "not_group_admin"),
    ("post", "invitations/", {"user_id": "{applicant}"}, "not_group_admin"),
    ("post", "close/", {}, "not_group_owner"),
    ("get", "requests/", None, "not_group_admin"),
    ("get", "audit/", None, "not_group_admin"),
])
def test_api_refuses_members_with_a_clear_code(cast, api, method, path, body, code):
    ids = {"target": cast.target.pk, "applicant": cast.applicant.pk, "target_message": cast.target_message.pk}
    url = f"/api/v1/groups/{cast.group.code}/" + path.format(**ids)
    if body:
        body = {k: int(v.format(**ids)) if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}
    response = getattr(api(cast.member), method)(url, body, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == code and response.json()["detail"]


@pytest.mark.clause("G9b")
def test_api_refuses_members_deciding_join_requests(cast, api):
    response = api(cast.member).post(f"/api/v1/requests/{cast.request.pk}/decide/", {"approve": True}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_group_admin"


# --- G9a: duties acknowledged -----------------------------------------------------------------------------------------
@pytest.mark.clause("G9a")
def test_transfer_needs_the_new_owner_to_acknowledge_the_duties(cast, api):
    group = cast.group
    response = api(cast.owner).post(f"/api/v1/groups/{group.code}/transfer/", {"user_id": cast.member.pk},
                                    format="json")
    assert response.status_code == 202
    response = api(cast.admin).post(f"/api/v1/groups/{group.code}/transfer/accept/", {"acknowledge_duties": True},
                                    format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_pending_transfer"

    response = api(cast.member).post(f"/api/v1/groups/{group.code}/transfer/accept/", {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "duties_not_acknowledged"
    group.refresh_from_db()
    assert group.owner == cast.owner

    response = api(cast.member).post(f"/api/v1/groups/{group.code}/transfer/accept/", {"acknowledge_duties": True},
                                     format="json")
    assert response.status_code == 200
    group.refresh_from_db()
    assert group.owner == cast.member and group.pending_owner is None
    roles = dict(Membership.objects.filter(group=group, user__in=[cast.owner, cast.member]).values_list("user",
                                                                                                       "role"))
    assert roles == {cast.member.pk: "owner", cast.owner.pk: "admin"}
    assert Membership.objects.filter(group=group, role="owner").count() == 1
    assert OwnerDutyAcknowledgement.objects.filter(group=group, user=cast.member, occasion="transfer").exists()
    assert LogEntry.objects.filter(kind="group.transfer", actor_id=cast.member.pk, data__stage="accepted").exists()


@pytest.mark.clause("G9a")
def test_creating_a_group_needs_the_duties_acknowledged(owner, api):
    response = api(owner).post("/api/v1/groups/", {"name": "新群"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "duties_not_acknowledged"
    response = api(owner).post("/api/v1/groups/", {"name": "新群", "acknowledge_duties": True}, format="json")
    assert response.status_code == 201
    group = Group.objects.get(code=response.json()["code"])
    assert OwnerDutyAcknowledgement.objects.filter(group=group, user=owner, occasion="create").exists()


@pytest.mark.clause("G9a")
def test_rules_must_be_accepted_before_a_first_message(owner, alice, origin, member_of, api):
    group = make_group(owner, rules="不得发布广告。")
    member_of(group, alice)
    with pytest.raises(ApplicationError) as err:
        services.message_send(sender=alice, group_code=group.code, body="hi", client_id="c1", origin=origin)
    assert err.value.code == "rules_required" and err.value.extra["rules"] == "不得发布广告。"
    response = api(alice).post(f"/api/v1/groups/{group.code}/messages/", {"client_id": "c1", "body": "hi"},
                               format="json")
    assert response.status_code == 409 and response.json()["code"] == "rules_required"
    assert not Message.objects.filter(group=group).exists()

    assert api(alice).post(f"/api/v1/groups/{group.code}/rules/accept/").status_code == 200
    result = services.message_send(sender=alice, group_code=group.code, body="hi", client_id="c1", origin=origin)
    assert result.created
    # The owner accepted the rules by writing them.
    assert services.message_send(sender=owner, group_code=group.code, body="欢迎", client_id="o1",
                                 origin=origin).created


@pytest.mark.django_db
@pytest.mark.clause("G9a")
def test_appointing_an_admin_needs_the_duties_acknowledged(api, owner, alice, member_of):
    group = make_group(owner)
    member_of(group, alice)
    refused = api(owner).post(f"/api/v1/groups/{group.code}/members/{alice.pk}/role/", {"role": "admin"},
                              format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "duties_not_acknowledged"
    done = api(owner).post(f"/api/v1/groups/{group.code}/members/{alice.pk}/role/",
                           {"role": "admin", "acknowledge_duties": True}, format="json")
    assert done.status_code == 200 and done.json()["role"] == "admin"
    # The owner acknowledged (that the new admin was told the duties): the row is the owner's (issue 14 item 7).
    assert OwnerDutyAcknowledgement.objects.filter(group=group, user=owner, occasion="admin").exists()
    assert not OwnerDutyAcknowledgement.objects.filter(group=group, user=alice).exists()
