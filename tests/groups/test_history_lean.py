"""The lean history GET for token clients, over real HTTP (uvicorn): the API view's answer without Django's request stack,
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


@pytest.mark.parametrize("code", ["live", "none", "inactive", "badtoken"])
def test_the_member_statement_finds_what_the_orm_reference_finds(chat, alice, bob, code):
    from groups.sql import token_member_group, token_member_group_orm

    token, group_code = chat["alice"], chat["group"].code
    if code == "none":
        token = chat["bob"]
    elif code == "inactive":
        type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    elif code == "badtoken":
        token = "0" * 40
    found = token_member_group(token=token, code=group_code)
    reference = token_member_group_orm(token=token, code=group_code)
    assert (found and (found.pk, found.code, found.last_seq)) == (reference and (reference.pk, reference.code,
                                                                                   reference.last_seq))
    assert (found is not None) == (code == "live")


def _call(app, path: str, token: str, scheme: str):
    """One GET through an ASGI application, as a server would hand it over (https behind the proxy, or http)."""
    import asyncio

    path, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": scheme,
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"chat.example.cn"), (b"accept", b"application/json"),
                         (b"authorization", f"Token {token}".encode())],
             "client": ("203.0.113.9", 50123), "server": ("10.0.0.5", 443 if scheme == "https" else 80)}
    sent: list[dict] = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client stays connected: Django cancels this once it has answered

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body


SECURITY_HEADERS = ("strict-transport-security", "x-frame-options", "x-content-type-options", "referrer-policy",
                    "cross-origin-opener-policy")


def _stop(django_app) -> None:
    """Stop an application's request threads (the server's own are counted by tests/kernel/test_live_server.py)."""
    for executor in django_app.threads.executors:
        executor.shutdown(wait=True)


def test_the_lean_answer_has_the_security_behaviour_of_djangos_stack_in_production(chat, settings, request):
    """Production settings (HTTPS redirect, HSTS, ...): the lean GET answers as the whole stack does, security-wise."""
    from groupchat.runtime.http import PooledThreadsASGIHandler, lean_get
    from groups.history import HISTORY_PATH, history_token_answer

    settings.ALLOWED_HOSTS = ["chat.example.cn"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    # Both built under these settings, as the server process builds them at start-up.
    django_app = PooledThreadsASGIHandler(threads=2)
    request.addfinalizer(lambda app=django_app: _stop(app))
    app = lean_get(django_app, threads=django_app.threads, path=HISTORY_PATH, answer=history_token_answer)
    path = f"/api/v1/groups/{chat['group'].code}/messages/?limit=3"

    status, headers, body = _call(app, path, chat["alice"], "https")
    full_status, full_headers, full_body = _call(django_app, path, chat["alice"], "https")
    assert status == full_status == 200 and json.loads(body) == json.loads(full_body)
    assert "content-language" not in headers  # answered on the lean path
    for name in SECURITY_HEADERS:
        assert headers[name] == full_headers[name], name
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"

    # Plain HTTP is redirected to HTTPS exactly as Django redirects it, and nothing of the page is sent.
    status, headers, body = _call(app, path, chat["alice"], "http")
    full_status, full_headers, _ = _call(django_app, path, chat["alice"], "http")
    assert status == full_status == 301 and headers["location"] == full_headers["location"]
    assert headers["location"].startswith("https://chat.example.cn/") and b"results" not in body

    # A host that is not allowed never gets a page: Django's answer (400), not the lean one.
    settings_hosts = settings.ALLOWED_HOSTS
    settings.ALLOWED_HOSTS = ["other.example.cn"]
    try:
        django_app = PooledThreadsASGIHandler(threads=1)
        request.addfinalizer(lambda app=django_app: _stop(app))
        app = lean_get(django_app, threads=django_app.threads, path=HISTORY_PATH, answer=history_token_answer)
        status, _, body = _call(app, path, chat["alice"], "https")
        assert status == 400 and b"results" not in body
    finally:
        settings.ALLOWED_HOSTS = settings_hosts
