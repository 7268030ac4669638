"""What the network log and the pages keep of typed identifiers (issue 14 item 3, G6b / G13b).

- A failed login keeps a masked form and a keyed hash of what was typed as the username (it may be a phone or an ID
  number), never the raw text.
- A profile change is logged with its origin and the old and new nickname.
- No page a user reaches, and no error page or error report of a failing identity POST, shows the plaintext number.
"""

import logging

import pytest
from django.test import Client
from django.views.debug import ExceptionReporter

from accounts import services
from accounts.idnumbers import id_number_hmac
from accounts.models import IdentitySubmission
from groupchat.core.models import LogEntry
from tests.factories import UserFactory

from .conftest import NAME, NUMBER

pytestmark = pytest.mark.django_db

CLIENT = {"REMOTE_ADDR": "198.51.100.23", "REMOTE_PORT": "50123", "HTTP_USER_AGENT": "pytest"}
PHONE = "13812345678"


def _login_fail(username: str):
    from rest_framework.test import APIClient

    return APIClient().post("/api/v1/auth/login/", {"username": username, "password": "wrong-password"},
                            format="json", **CLIENT)


@pytest.mark.clause("G6b")
@pytest.mark.parametrize("typed", [NUMBER, PHONE, "１３８１２３４５６７８"])
def test_failed_login_keeps_no_raw_username(typed):
    assert _login_fail(typed).status_code == 401
    entry = LogEntry.objects.get(kind="auth.login_failed")
    text = repr(entry.data)
    assert NUMBER not in text and PHONE not in text and typed not in text
    assert entry.data["username"] in ("1****************X", "138****5678")
    assert entry.data["username_hmac"]
    assert entry.ip == CLIENT["REMOTE_ADDR"]


@pytest.mark.clause("G13b")
def test_failed_login_against_an_account_names_the_account_by_id_and_keyed_hash():
    user = UserFactory(phone=PHONE)
    _login_fail("１３８１２３４５６７８")  # the phone login, typed in full-width digits
    _login_fail(PHONE)
    entries = list(LogEntry.objects.filter(kind="auth.login_failed"))
    assert [e.target_id for e in entries] == [user.pk, user.pk]
    # Same typed identifier in any spelling, same keyed hash: investigators can group attempts without the raw text.
    assert entries[0].data["username_hmac"] == entries[1].data["username_hmac"]
    _login_fail(user.username)
    entry = LogEntry.objects.filter(kind="auth.login_failed").order_by("-pk").first()
    assert entry.target_id == user.pk and user.username not in repr(entry.data)


@pytest.mark.clause("G13b")
def test_profile_change_logged_with_origin_and_old_and_new_nickname():
    user = UserFactory(nickname="旧昵称")
    client = Client(**CLIENT)
    client.force_login(user)
    assert client.post("/me/", {"nickname": "新昵称", "language": "en"}).status_code == 302
    entry = LogEntry.objects.get(kind="account.profile")
    assert entry.actor_id == user.pk
    assert entry.ip == CLIENT["REMOTE_ADDR"] and entry.port == int(CLIENT["REMOTE_PORT"])
    assert entry.data["nickname"] == {"from": "旧昵称", "to": "新昵称"}
    assert entry.data["language"] == {"from": "zh-hans", "to": "en"}


@pytest.mark.clause("G13b")
def test_profile_change_through_the_api_has_origin_too():
    from rest_framework.test import APIClient

    user = UserFactory(nickname="甲")
    client = APIClient()
    client.force_authenticate(user)
    assert client.patch("/api/v1/me/", {"nickname": "乙"}, format="json", **CLIENT).status_code == 200
    entry = LogEntry.objects.get(kind="account.profile")
    assert entry.ip == CLIENT["REMOTE_ADDR"] and entry.data["nickname"] == {"from": "甲", "to": "乙"}


def _consenting_client(user) -> Client:
    client = Client(raise_request_exception=False, **CLIENT)
    client.force_login(user)
    assert client.post("/me/identity/", {"action": "consent", "agree": "yes"}).status_code == 302
    return client


def _spellings() -> list[str]:
    return [NUMBER, NUMBER.lower(), NUMBER[:-1]]


@pytest.mark.clause("G6b")
def test_identity_pages_never_show_the_number(settings):
    settings.DEBUG = False
    user = UserFactory()
    client = _consenting_client(user)
    bad = NUMBER[:-1] + "3"  # wrong check character: refused, page re-rendered with the error
    refused = client.post("/me/identity/", {"action": "personal", "legal_name": NAME, "id_number": bad})
    assert refused.status_code == 400
    assert bad not in refused.content.decode() and bad[:-1] not in refused.content.decode()
    done = client.post("/me/identity/", {"action": "personal", "legal_name": NAME, "id_number": NUMBER},
                       follow=True)
    assert done.status_code == 200
    pages = [done.content.decode()]
    for url in ("/me/identity/", "/me/", "/me/credit/", "/api/v1/me/identity/", "/api/v1/me/"):
        pages.append(client.get(url).content.decode())
    for page in pages:
        for spelling in _spellings():
            assert spelling not in page
        assert NAME not in page
    assert "1****************X" in pages[0]
    assert IdentitySubmission.objects.get(user=user).id_hmac == id_number_hmac(NUMBER)


@pytest.mark.clause("G6b")
def test_error_page_and_error_report_of_a_failing_identity_post_never_show_the_number(settings, caplog):
    """A server error while the number is being stored (here: the vault has no encryption key) gives a plain 500
    page, and the report Django mails to the admins (the request's POST data and every frame's variables) has the
    number and the legal name filtered out."""
    settings.DEBUG = False
    user = UserFactory()
    client = _consenting_client(user)
    settings.FIELD_ENCRYPTION_KEYS = []
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post("/me/identity/", {"action": "personal", "legal_name": NAME, "id_number": NUMBER})
    assert response.status_code == 500
    body = response.content.decode()
    assert NUMBER not in body and NAME not in body
    assert not IdentitySubmission.objects.filter(user=user).exists()
    record = next(r for r in caplog.records if r.name == "django.request" and r.exc_info)
    reporter = ExceptionReporter(record.request, *record.exc_info, is_email=True)
    for report in (reporter.get_traceback_text(), reporter.get_traceback_html()):
        assert NUMBER not in report and NAME not in report
        assert "id_number" in report  # the parameter is listed, its value starred out


@pytest.mark.clause("G6b")
def test_identity_api_error_report_never_shows_the_number(settings, caplog):
    from rest_framework.test import APIClient

    settings.DEBUG = False
    user = UserFactory()
    services.consent_give(user=user)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    settings.FIELD_ENCRYPTION_KEYS = []
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post("/api/v1/me/identity/personal/", {"legal_name": NAME, "id_number": NUMBER},
                               format="json", **CLIENT)
    assert response.status_code == 500
    assert NUMBER not in response.content.decode()
    record = next(r for r in caplog.records if r.name == "django.request" and r.exc_info)
    report = ExceptionReporter(record.request, *record.exc_info, is_email=True).get_traceback_text()
    assert NUMBER not in report and NAME not in report
