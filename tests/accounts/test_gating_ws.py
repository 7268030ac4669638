"""The same gates over the WebSocket (G6a, G5b): refusal frames with the stable codes, then success."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from accounts import services as accounts
from accounts.models import Agreement, User
from groupchat.asgi import application
from tests.factories import UserFactory, add_member, make_group

# The rows the data migrations seed (tiers, agreements) are put back after each flush by tests/conftest.py.
pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def _setup():
    owner = UserFactory()
    group = make_group(owner)
    user = UserFactory()
    add_member(group, user)
    return user, group, Token.objects.create(user=user).key


async def _connect(token):
    communicator = WebsocketCommunicator(application, f"/ws/?token={token}", headers=[(b"origin", b"http://127.0.0.1")])
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    return communicator


async def _send(communicator, group, client_id):
    await communicator.send_json_to({"type": "send", "group": group.code, "client_id": client_id, "body": "你好"})
    while True:
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] in ("ack", "error") and frame.get("client_id") == client_id:
            return frame


@pytest.mark.asyncio
@pytest.mark.clause("G6a")
async def test_ws_unverified_send_refused_then_allowed():
    user, group, token = await _setup()
    await sync_to_async(User.objects.filter(pk=user.pk).update)(verification_level=0)
    communicator = await _connect(token)
    frame = await _send(communicator, group, "a1")
    assert frame["type"] == "error" and frame["code"] == "realname_required"
    await sync_to_async(User.objects.filter(pk=user.pk).update)(verification_level=1)
    frame = await _send(communicator, group, "a2")
    assert frame["type"] == "ack"
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.clause("G5b")
async def test_ws_reacceptance_gate():
    user, group, token = await _setup()
    communicator = await _connect(token)
    assert (await _send(communicator, group, "b1"))["type"] == "ack"

    @sync_to_async
    def publish():
        agreement = Agreement.objects.create(kind="convention", version="2099.1", title_zh="公约", title_en="C",
                                             body_zh="新", body_en="new", material=True)
        return accounts.agreement_publish(agreement=agreement)

    new = await publish()
    frame = await _send(communicator, group, "b2")
    assert frame["type"] == "error" and frame["code"] == "agreement_required"
    await sync_to_async(accounts.agreements_accept)(user=user, agreement_ids=[new.pk])
    assert (await _send(communicator, group, "b3"))["type"] == "ack"
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.clause("G7b")
async def test_grade_change_reaches_the_user_live():
    user, _group, token = await _setup()
    communicator = await _connect(token)
    await sync_to_async(accounts.credit_change)(user=user, delta=-40, reason_code="fraud", source="measure")
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "notice" and frame["level"] == "warning" and "D" in frame["text"]
    await communicator.disconnect()
