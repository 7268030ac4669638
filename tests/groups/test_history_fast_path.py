"""The history fast path for token clients, over real HTTP (uvicorn): the API view's answer, without Django's stack,
and every refusal still Django's own."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from groups import services
from tests.factories import ORIGIN, make_group

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chat(owner, alice, bob, member_of):
    group = make_group(owner)
    member_of(group, alice)
    for i in range(1, 8):
        services.message_send(sender=owner if i % 2 else alice, group_code=group.code, body=f"第{i}条",
                              client_id=f"f{i}", origin=ORIGIN)
    return {"group": group, "alice": Token.objects.create(user=alice).key, "bob": Token.objects.create(user=bob).key}


def _get(server, path: str, token: str | None, accept: str = "application/json"):
    request = urllib.request.Request(f"{server.url}{path}", headers={"Accept": accept})
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_a_members_page_is_the_api_views_answer_without_djangos_request_stack(live_asgi, chat):
    path = f"/api/v1/groups/{chat['group'].code}/messages/?limit=3&before=7"
    status, headers, body = _get(live_asgi, path, chat["alice"])
    assert status == 200 and headers["content-type"] == "application/json"
    view = APIClient(HTTP_AUTHORIZATION=f"Token {chat['alice']}").get(path)
    assert view.status_code == 200
    assert body == view.content  # the same bytes as the DRF view renders
    assert [m["seq"] for m in json.loads(body)["results"]] == [4, 5, 6]
    # Django's LocaleMiddleware marks every response it makes; this one never went through it.
    assert "content-language" not in headers and view.headers["Content-Language"]


@pytest.mark.parametrize(("who", "query", "code"), [
    ("bob", "", "not_member"),
    ("nobody", "", "not_authenticated"),
    ("alice", "?before=x", "bad_request"),
])
def test_every_refusal_is_djangos_own(live_asgi, chat, who, query, code):
    token = {"alice": chat["alice"], "bob": chat["bob"], "nobody": "0" * 40}[who]
    path = f"/api/v1/groups/{chat['group'].code}/messages/{query}"
    status, headers, body = _get(live_asgi, path, token)
    view = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get(path)
    assert (status, body) == (view.status_code, view.content) and status >= 400
    assert json.loads(body)["code"] == code
    assert "content-language" in headers  # answered by the full stack, in the user's language


def test_an_inactive_users_token_and_an_html_client_go_to_django(live_asgi, chat, alice):
    path = f"/api/v1/groups/{chat['group'].code}/messages/"
    status, headers, _ = _get(live_asgi, path, chat["alice"], accept="text/html")
    assert status == 200 and "content-language" in headers and headers["content-type"].startswith("text/html")
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    status, headers, body = _get(live_asgi, path, chat["alice"])
    assert status >= 400 and json.loads(body)["code"] == "not_authenticated" and "content-language" in headers
