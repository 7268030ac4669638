"""Deactivation (issue 14.2, G6a/G11): one service that refuses every path at once and closes open sockets."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.models import User
from accounts.services import user_deactivate
from groupchat.core.models import LogEntry
from groups import services
from groups.models import Message
from tests.factories import ORIGIN, PASSWORD, UserFactory, make_group
from tests.groups.test_consumers import _user, connected, next_frame


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.clause("G11b")
async def test_an_open_socket_of_a_deactivated_user_is_closed_and_its_next_send_refused():
    owner = await sync_to_async(UserFactory)()
    group = await sync_to_async(make_group)(owner)
    user, token = await sync_to_async(_user)()
    await sync_to_async(services.group_join)(user=user, group=group, origin=ORIGIN)
    async with connected(token) as comm:
        await comm.send_json_to({"type": "send", "group": group.code, "client_id": "before", "body": "在"})
        assert (await next_frame(comm, "ack"))["client_id"] == "before"
        loop = asyncio.get_running_loop()
        started = loop.time()
        await sync_to_async(user_deactivate)(user=user, actor=owner, reason="违规", origin=ORIGIN)
        # Whatever the socket hears now, it ends with the close; a send racing it is refused, never acked.
        await comm.send_json_to({"type": "send", "group": group.code, "client_id": "after", "body": "还在吗"})
        while True:
            out = await comm.receive_output(timeout=2)
            if out["type"] == "websocket.close":
                break
            assert '"ack"' not in out.get("text", ""), out
        assert out["code"] == 4403 and loop.time() - started < 1
    # A new socket with the same token is refused (closed as unauthenticated).
    from channels.testing import WebsocketCommunicator

    from groupchat.asgi import application
    from tests.groups.test_consumers import ORIGIN_HEADER

    again = WebsocketCommunicator(application, f"/ws/?token={token}", headers=ORIGIN_HEADER)
    assert (await again.connect(timeout=5))[0]
    assert await again.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    await again.disconnect()
    assert not await sync_to_async(Message.objects.filter(group_id=group.pk, client_id="after").exists)()


@pytest.mark.django_db
@pytest.mark.clause("G11b")
def test_deactivation_refuses_http_login_and_send_and_is_in_the_network_log(api):
    owner = UserFactory()
    group = make_group(owner)
    user = UserFactory()
    services.group_join(user=user, group=group, origin=ORIGIN)
    browser = Client()
    browser.force_login(user)
    user_deactivate(user=user, actor=owner, reason="违规", origin=ORIGIN)
    user_deactivate(user=user, actor=owner, reason="again", origin=ORIGIN)  # idempotent: one record
    assert browser.get("/api/v1/me/").status_code in (401, 403)  # the session no longer authenticates
    from accounts.gates import SendGates

    with pytest.raises(Exception) as err:
        SendGates({user.pk: 1}).check(user)
    assert err.value.code == "account_inactive"
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    assert authenticate(RequestFactory().post("/accounts/login/"), username=user.username, password=PASSWORD) is None
    entries = LogEntry.objects.filter(kind="account.deactivated", target_id=user.pk)
    assert [(e.actor_id, e.data["reason"], e.ip) for e in entries] == [(owner.pk, "违规", ORIGIN.ip)]


@pytest.mark.django_db
def test_the_admins_is_active_checkbox_and_action_go_through_the_service():
    admin_user = User.objects.create_superuser(username="root", password=PASSWORD, nickname="管理员")
    target, other = UserFactory(), UserFactory()
    client = Client()
    client.force_login(admin_user)
    response = client.post("/admin/accounts/user/", {"action": "deactivate_accounts", "_selected_action": [other.pk]})
    assert response.status_code == 302
    assert not User.objects.get(pk=other.pk).is_active
    assert LogEntry.objects.filter(kind="account.deactivated", target_id=other.pk, actor_id=admin_user.pk).exists()

    from django.contrib.admin.sites import site

    from accounts.admin import UserAdmin

    model_admin = UserAdmin(User, site)

    class Form:
        changed_data = ["is_active"]

    request = client.get("/admin/").wsgi_request
    request.user = admin_user
    target.is_active = False
    model_admin.save_model(request, target, Form(), change=True)
    assert not User.objects.get(pk=target.pk).is_active
    assert LogEntry.objects.filter(kind="account.deactivated", target_id=target.pk).count() == 1
