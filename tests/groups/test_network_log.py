"""The group lifecycle reaches the network log (G13b): create, rename, announce, join (with the inviter), leave,
remove, role change, close, each with actor, time, group code and the source IP, port and device."""

import pytest
from rest_framework.test import APIClient

from groupchat.core.models import LogEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLIENT = {"REMOTE_ADDR": "198.51.100.9", "REMOTE_PORT": "40404", "HTTP_USER_AGENT": "pytest-agent/1.0"}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _post(user, path, body=None):
    response = _client(user).post(f"/api/v1/{path}", body or {}, format="json", **CLIENT)
    assert response.status_code < 300, response.content
    return response


@pytest.mark.clause("G13b")
def test_group_lifecycle_is_in_the_network_log():
    owner, alice, bob, carol = (UserFactory() for _ in range(4))
    code = _post(owner, "groups/", {"name": "读书会", "join_mode": "open", "acknowledge_duties": True}).json()["code"]
    response = _client(owner).patch(f"/api/v1/groups/{code}/", {"name": "读书会2"}, format="json", **CLIENT)
    assert response.status_code == 200
    _client(owner).patch(f"/api/v1/groups/{code}/", {"announcement": "周五见"}, format="json", **CLIENT)
    _post(alice, f"groups/{code}/join/")
    token = _post(owner, f"groups/{code}/invitations/", {"user_id": bob.pk}).json()["token"]
    _post(bob, f"invitations/{token}/accept/")
    _post(carol, f"groups/{code}/join/")
    _post(owner, f"groups/{code}/members/{alice.pk}/role/", {"role": "admin", "acknowledge_duties": True})
    _post(bob, f"groups/{code}/leave/")
    _post(alice, f"groups/{code}/members/{carol.pk}/remove/", {"reason": "刷屏"})
    _post(owner, f"groups/{code}/close/", {"reason": "活动结束"})

    entries = list(LogEntry.objects.filter(group_code=code).order_by("id"))
    assert all(e.ip == CLIENT["REMOTE_ADDR"] and e.port == 40404 and e.user_agent == "pytest-agent/1.0"
               for e in entries)
    assert [e.created_at for e in entries] == sorted(e.created_at for e in entries)
    seen = [(e.kind, e.actor_id, e.target_id) for e in entries]
    assert seen == [
        ("group.create", owner.pk, None),
        ("group.update", owner.pk, None),
        ("group.update", owner.pk, None),
        ("group.join", alice.pk, alice.pk),
        ("group.invite", owner.pk, bob.pk),
        ("group.join", bob.pk, bob.pk),
        ("group.join", carol.pk, carol.pk),
        ("group.role", owner.pk, alice.pk),
        ("group.leave", bob.pk, bob.pk),
        ("group.remove", alice.pk, carol.pk),
        ("group.close", owner.pk, None),
    ]
    by_kind = {}
    for e in entries:
        by_kind.setdefault(e.kind, []).append(e.data)
    assert by_kind["group.create"][0]["name"] == "读书会"
    assert by_kind["group.update"] == [{"name": "读书会2"}, {"announcement": "周五见"}]
    assert [d["inviter"] for d in by_kind["group.join"]] == [None, owner.pk, None]
    assert by_kind["group.role"] == [{"from": "member", "to": "admin"}]
    assert by_kind["group.remove"] == [{"reason": "刷屏"}]
    assert by_kind["group.close"] == [{"reason": "活动结束", "by_platform": False}]  # the owner closed it


@pytest.mark.clause("G13b")
def test_message_records_carry_sender_group_time_type_and_origin():
    owner = UserFactory()
    code = _post(owner, "groups/", {"name": "g", "join_mode": "open", "acknowledge_duties": True}).json()["code"]
    message = _post(owner, f"groups/{code}/messages/", {"client_id": "m1", "body": "你好"}).json()["message"]
    entry = LogEntry.objects.get(kind="message.sent")
    assert (entry.actor_id, entry.group_code, entry.data["type"], entry.data["message_id"], entry.data["seq"]) == (
        owner.pk, code, "text", message["id"], 1)
    assert entry.created_at.isoformat() == message["created_at"]
    assert (entry.ip, entry.port, entry.user_agent) == ("198.51.100.9", 40404, "pytest-agent/1.0")
