"""Every refusal of the send path has a stable code and a detail in Chinese and English, and stores nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups import services
from groups.models import Group, GroupStatus, Membership, Message
from tests.factories import make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(owner, alice, member_of):
    group = make_group(owner)
    member_of(group, alice)
    return group


def send(user, group, body="你好", client_id="c1", origin=None):
    from tests.factories import ORIGIN

    return services.message_send(sender=user, group_code=group.code, body=body, client_id=client_id,
                                 origin=origin or ORIGIN)


def refused(user, group, *, status: int, **kwargs) -> ApplicationError:
    before = Message.objects.filter(group=group).count()
    with pytest.raises(ApplicationError) as err:
        send(user, group, **kwargs)
    error = err.value
    assert error.status == status
    zh, en = error.detail("zh-hans"), error.detail("en")
    assert zh and en and zh != en and "{" not in zh + en  # placeholders filled
    assert error.as_dict("en")["code"] == error.code
    assert Message.objects.filter(group=group).count() == before
    group.refresh_from_db()
    assert group.last_seq == before  # no seq was used up
    return error


def test_not_member(chat, bob):
    assert refused(bob, chat, status=403).code == "not_member"


@pytest.mark.clause("G9b")
def test_muted_member_is_refused_until_the_mute_ends(chat, owner, alice, origin):
    services.member_mute(actor=owner, group=chat, target=alice, minutes=30, origin=origin)
    error = refused(alice, chat, status=403)
    membership = Membership.objects.get(group=chat, user=alice)
    assert error.code == "muted" and error.extra["until"] == membership.muted_until.isoformat()
    local = timezone.localtime(membership.muted_until).strftime("%Y-%m-%d %H:%M")
    assert local in error.detail("zh-hans") and local in error.detail("en")
    Membership.objects.filter(pk=membership.pk).update(muted_until=timezone.now() - timedelta(seconds=1))
    assert send(alice, chat).created


@pytest.mark.clause("G9b")
def test_whole_group_muted_refuses_members_but_not_admins(chat, owner, alice, bob, member_of, origin):
    member_of(chat, bob, role="admin")
    services.group_mute_all(actor=owner, group=chat, muted=True, origin=origin)
    assert refused(alice, chat, status=403).code == "group_muted"
    assert send(bob, chat, client_id="admin").created
    assert send(owner, chat, client_id="owner").created
    services.group_mute_all(actor=bob, group=chat, muted=False, origin=origin)
    assert send(alice, chat).created


def test_suspended_group_refuses_until_the_suspension_ends(chat, alice):
    until = timezone.now() + timedelta(hours=2)
    Group.objects.filter(pk=chat.pk).update(status=GroupStatus.SUSPENDED, status_until=until)
    error = refused(alice, chat, status=403)
    assert error.code == "group_suspended"
    assert timezone.localtime(until).strftime("%Y-%m-%d %H:%M") in error.detail("en")
    Group.objects.filter(pk=chat.pk).update(status_until=timezone.now() - timedelta(seconds=1))
    assert send(alice, chat).created


def test_closed_group(chat, owner, alice, origin):
    services.group_close(actor=owner, group=chat, reason="done", origin=origin)
    assert refused(alice, chat, status=410).code == "group_closed"
    assert refused(owner, chat, status=410, client_id="o").code == "group_closed"


def test_too_long(chat, alice, settings):
    settings.GROUPCHAT = {**settings.GROUPCHAT, "MESSAGE_MAX_CHARS": 10}
    error = refused(alice, chat, status=400, body="字" * 11)
    assert error.code == "too_long" and "10" in error.detail("zh-hans") and "10" in error.detail("en")
    assert send(alice, chat, body="字" * 10).created


@pytest.mark.parametrize("body", ["", "   ", "\n\t"])
def test_empty(chat, alice, body):
    assert refused(alice, chat, status=400, body=body).code == "empty"


@pytest.mark.parametrize(("body", "client_id"), [
    (123, "c1"), (None, "c1"), (["hi"], "c1"), ("hi", ""), ("hi", None), ("hi", 7), ("hi", "x" * 65),
])
def test_bad_frame(chat, alice, body, client_id):
    error = refused(alice, chat, status=400, body=body, client_id=client_id)
    assert error.code == "bad_frame" and error.params["reason"] in error.detail("en")


def test_client_id_reused_in_another_group_is_a_bad_frame(chat, owner, alice, member_of):
    other = make_group(owner, name="另一个群")
    member_of(other, alice)
    send(alice, chat, client_id="same")
    assert refused(alice, other, status=400, client_id="same").code == "bad_frame"


def test_rate_limited(chat, alice, settings, api):
    settings.GROUPCHAT = {**settings.GROUPCHAT, "SEND_RATE": "3/minute"}
    for i in range(3):
        assert send(alice, chat, client_id=f"r{i}").created
    assert refused(alice, chat, status=429, client_id="r3").code == "rate_limited"
    # A retry of a message already stored is not a new send: it still gets its ack.
    assert not send(alice, chat, client_id="r0").created
    response = api(alice).post(f"/api/v1/groups/{chat.code}/messages/", {"client_id": "r4", "body": "x"},
                               format="json")
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"


@pytest.mark.parametrize("auth", ["session", "token"])
def test_api_renders_refusals_in_the_users_language(chat, alice, auth):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    alice.language = "en"
    alice.save(update_fields=["language"])
    client = APIClient()
    if auth == "session":
        client.force_login(alice)
    else:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    Group.objects.filter(pk=chat.pk).update(status=GroupStatus.CLOSED)
    response = client.post(f"/api/v1/groups/{chat.code}/messages/", {"client_id": "c", "body": "x"}, format="json")
    assert response.status_code == 410
    assert response.json() == {"code": "group_closed", "detail": "This group has been closed."}


def test_refused_sends_write_no_message_log(chat, bob):
    refused(bob, chat, status=403)
    assert not LogEntry.objects.filter(kind="message.sent").exists()
