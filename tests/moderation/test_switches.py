"""Emergency switches (G5a): only the role toggles, each toggle recorded with who and why; group creation, joining
by link, posting and unreviewed posting stop at once, for the platform or one group category; users are told."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group as Role

from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups import services
from groups.models import Message
from groups.services.messages import Held, SendRequest, SendResult, message_send_many
from moderation.models_screening import EmergencySwitch, HeldMessage, SwitchToggle
from moderation.roles_measures import MODERATOR, SENIOR_MODERATOR
from moderation.screening import reload
from moderation.switches import switch_toggle
from tests.factories import ORIGIN, UserFactory, make_group

from . import screening_fixtures

_fresh_screening_state = screening_fixtures._fresh_screening_state
sent_events = screening_fixtures.sent_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(db):
    user = UserFactory(is_staff=True)
    user.groups.add(Role.objects.get(name=SENIOR_MODERATOR))
    return user


def toggle(actor, kind, on=True, scope="*", reason="演练 drill"):
    switch = switch_toggle(actor=actor, kind=kind, scope=scope, on=on, reason=reason, origin=ORIGIN)
    reload.invalidate()  # what the service's on-commit callback does (a test's transaction never commits)
    return switch


def send(user, group, body="你好", cid="c1"):
    return message_send_many(requests=[SendRequest(user, group.code, body, cid, ORIGIN)])[0]


@pytest.mark.clause("G5a")
def test_only_the_role_may_toggle_and_each_toggle_is_recorded(senior, alice):
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(Role.objects.get(name=MODERATOR))
    for user in (alice, moderator, UserFactory(is_staff=True)):
        with pytest.raises(ApplicationError) as exc:
            toggle(user, "create")
        assert exc.value.code == "permission_denied"
    with pytest.raises(ApplicationError) as exc:
        toggle(senior, "create", reason=" ")
    assert exc.value.code == "switch_reason_required"
    with pytest.raises(ApplicationError) as exc:
        toggle(senior, "create", scope="no-such-category")
    assert exc.value.code == "switch_invalid"
    assert not SwitchToggle.objects.exists()
    toggle(senior, "create", reason="暴雨应急")
    toggle(senior, "create", reason="again")  # already on: nothing new to record
    toggle(senior, "create", on=False, reason="恢复")
    rows = list(SwitchToggle.objects.order_by("id").values_list("kind", "scope", "on", "actor", "reason"))
    assert rows == [("create", "*", True, senior.pk, "暴雨应急"), ("create", "*", False, senior.pk, "恢复")]
    assert LogEntry.objects.filter(kind="moderation.switch", actor_id=senior.pk).count() == 2
    assert EmergencySwitch.objects.get(kind="create", scope="*").on is False


@pytest.mark.clause("G5a")
def test_stop_group_creation_platform_wide_and_per_category(senior, owner):
    toggle(senior, "create", scope="trade")
    with pytest.raises(ApplicationError) as exc:
        make_group(owner, name="商贸群", category="trade")
    assert exc.value.code == "creation_stopped" and "暂时停止创建群组" in exc.value.detail("zh-hans")
    assert make_group(owner, name="兴趣群", category="interest").pk
    toggle(senior, "create")
    with pytest.raises(ApplicationError) as exc:
        make_group(owner, name="兴趣群2", category="interest")
    assert exc.value.code == "creation_stopped"
    toggle(senior, "create", on=False)
    toggle(senior, "create", scope="trade", on=False)
    assert make_group(owner, name="商贸群", category="trade").pk


@pytest.mark.clause("G5a")
def test_stop_joining_by_link_leaves_personal_invitations(senior, group, owner, alice, bob):
    link = services.invitation_create(actor=owner, group=group, origin=ORIGIN)
    personal = services.invitation_create(actor=owner, group=group, invitee=bob, origin=ORIGIN)
    toggle(senior, "link_join")
    with pytest.raises(ApplicationError) as exc:
        services.invitation_accept(user=alice, token=link.token, origin=ORIGIN)
    assert exc.value.code == "link_join_stopped"
    assert services.invitation_accept(user=bob, token=personal.token, origin=ORIGIN).user == bob
    toggle(senior, "link_join", on=False)
    assert services.invitation_accept(user=alice, token=link.token, origin=ORIGIN).user == alice


@pytest.mark.clause("G5a")
def test_stop_posting_makes_groups_read_only_and_tells_their_members(senior, owner, alice, member_of,
                                                                     django_capture_on_commit_callbacks,
                                                                     sent_events):
    trade = make_group(owner, name="商贸群", category="trade")
    family = make_group(owner, name="家人群", category="family")
    member_of(trade, alice)
    member_of(family, alice)
    with django_capture_on_commit_callbacks(execute=True):
        toggle(senior, "post", scope="trade")
    notices = [(names, e) for names, e in sent_events if e["type"] == "user.notice"]
    assert [names for names, _ in notices] == [[f"group.{trade.code}"]]
    assert "只读" in notices[0][1]["text"] and "read-only" in notices[0][1]["text"]
    refused = send(alice, trade)
    assert isinstance(refused, ApplicationError) and refused.code == "posting_stopped"
    assert isinstance(send(alice, family, cid="c2"), SendResult)
    assert not Message.objects.filter(group=trade).exists()
    toggle(senior, "post", scope="trade", on=False)
    assert isinstance(send(alice, trade, cid="c3"), SendResult)


@pytest.mark.clause("G5a")
def test_hold_every_new_message_for_review(senior, group, alice, member_of):
    member_of(group, alice)
    toggle(senior, "hold_all")
    held = send(alice, group, "普通的一句话")
    assert isinstance(held, Held)
    assert HeldMessage.objects.get(pk=held.held_id).reason == "switch"
    assert not Message.objects.filter(group=group).exists()
    toggle(senior, "hold_all", on=False)
    assert isinstance(send(alice, group, cid="c2"), SendResult)
