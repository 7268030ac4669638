"""Logins and logouts go to the network log with account, time, source IP and port, and device (G13b); repeated
failures lock the account out (django-axes)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from groupchat.core.models import LogEntry
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CLIENT = {"REMOTE_ADDR": "198.51.100.23", "REMOTE_PORT": "50123", "HTTP_USER_AGENT": "Mozilla/5.0 (pytest) 手机"}


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _login(client, username, password, **extra):
    return client.post("/api/v1/auth/login/", {"username": username, "password": password, **extra}, format="json",
                       **CLIENT)


def _assert_origin(entry: LogEntry) -> None:
    assert entry.ip == CLIENT["REMOTE_ADDR"] and entry.port == int(CLIENT["REMOTE_PORT"])
    assert entry.user_agent == CLIENT["HTTP_USER_AGENT"]
    assert timezone.now() - entry.created_at < timedelta(seconds=30)


@pytest.mark.clause("G13b")
def test_login_and_logout_are_logged_with_account_time_ip_port_and_device():
    user = UserFactory()
    client = APIClient()
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 200 and response.json()["id"] == user.pk
    login = LogEntry.objects.get(kind="auth.login")
    assert login.actor_id == user.pk
    _assert_origin(login)

    assert client.get("/api/v1/me/", **CLIENT).status_code == 200  # the session is live
    assert client.post("/api/v1/auth/logout/", **CLIENT).status_code == 204
    logout = LogEntry.objects.get(kind="auth.logout")
    assert logout.actor_id == user.pk and logout.created_at >= login.created_at
    _assert_origin(logout)
    assert client.get("/api/v1/me/", **CLIENT).status_code in (401, 403)


@pytest.mark.clause("G13b")
def test_login_by_phone_for_a_token_is_logged():
    user = UserFactory(phone="13800138000")
    response = _login(APIClient(), "13800138000", PASSWORD, token=True)
    assert response.status_code == 200 and response.json()["token"]
    entry = LogEntry.objects.get(kind="auth.login")
    assert entry.actor_id == user.pk
    _assert_origin(entry)


@pytest.mark.clause("G13b")
def test_failed_logins_are_logged_and_lock_out():
    user = UserFactory()
    client = APIClient()
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    codes = []
    for _ in range(limit):
        response = _login(client, user.username, "wrong-password")
        codes.append((response.status_code, response.json()["code"]))
    assert codes[: limit - 1] == [(401, "invalid_credentials")] * (limit - 1)
    assert codes[-1] in ((401, "invalid_credentials"), (403, "locked_out"))

    # Now even the right password is refused, with a stable code and a reason in both languages.
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 403 and response.json()["code"] == "locked_out"
    assert "15" in response.json()["detail"]
    assert not LogEntry.objects.filter(kind="auth.login").exists()
    failures = LogEntry.objects.filter(kind="auth.login_failed")
    assert failures.count() >= limit
    # The typed name is kept masked and keyed-hashed (it may be a phone or an ID number); the account by its id.
    name = user.username
    assert {f.data["username"] for f in failures} == {name[0] + "*" * (len(name) - 2) + name[-1]}
    assert {f.target_id for f in failures} == {user.pk}
    _assert_origin(failures.first())


def test_wrong_password_below_the_limit_does_not_lock_out():
    user = UserFactory()
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, user.username, "nope").status_code == 401
    assert _login(client, user.username, PASSWORD).status_code == 200
