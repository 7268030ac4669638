"""Pages and API of identity, agreements and credit."""

import re

import pytest
from django.test import Client

from accounts import selectors, services
from accounts.models import Agreement, AgreementAcceptance, User
from accounts.providers import MemorySmsSender
from groupchat.core.models import LogEntry
from tests.factories import UserFactory

from .conftest import NAME, NUMBER

pytestmark = pytest.mark.django_db


@pytest.mark.clause("G5b")
@pytest.mark.parametrize("path", ["/rules/", "/convention/", "/agreement/"])
def test_public_agreement_pages_need_no_login(path, publish_material):
    publish_material()
    Agreement.objects.get_or_create(kind="rules", version="t1", defaults=dict(
        title_zh="群组信息服务管理规则", title_en="Group Management Rules", body_zh="规则正文", body_en="Rules text",
        published_at="2026-01-01T00:00:00Z"))
    Agreement.objects.get_or_create(kind="convention", version="t1", defaults=dict(
        title_zh="平台公约", title_en="Platform Convention", body_zh="公约正文", body_en="Convention text",
        published_at="2026-01-01T00:00:00Z"))
    response = Client().get(path)
    assert response.status_code == 200
    assert 'id="agreement-body"' in response.content.decode()
    english = Client(headers={"accept-language": "en"}).get(path).content.decode()
    chinese = Client(headers={"accept-language": "zh-hans"}).get(path).content.decode()
    assert english != chinese


@pytest.mark.clause("G5b")
def test_agreements_page_lists_and_accepts(alice, publish_material):
    new = publish_material()
    client = Client()
    client.force_login(alice)
    page = client.get("/agreements/")
    assert page.status_code == 200 and "新条款" in page.content.decode()
    response = client.post("/agreements/", {"agreement": [new.pk], "next": "/"})
    assert response.status_code == 302
    assert AgreementAcceptance.objects.filter(user=alice, agreement=new).exists()
    assert 'id="agreements-ok"' in client.get("/agreements/").content.decode()


def test_public_agreement_api(publish_material, api):
    publish_material()
    response = api().get("/api/v1/agreements/")
    assert response.status_code == 200 and any(a["version"] == "2099.1" for a in response.json()["results"])


@pytest.mark.clause("G6a")
def test_identity_page_flow_phone_consent_submit(settings):
    settings.ACCOUNTS = {"SMS_SENDER": "accounts.providers.MemorySmsSender"}
    MemorySmsSender.outbox.clear()
    user = UserFactory(verification_level=0)
    client = Client()
    client.force_login(user)
    page = client.get("/me/identity/").content.decode()
    assert 'id="current-level"' in page
    assert client.post("/me/identity/", {"action": "phone_send", "phone": "13512345678"}).status_code == 302
    code = re.search(r"\d{6}", MemorySmsSender.outbox[-1]["text"]).group()
    assert client.post("/me/identity/", {"action": "phone_verify", "code": code}).status_code == 302
    assert User.objects.get(pk=user.pk).verification_level == 1
    page = client.get("/me/identity/").content.decode()
    assert 'id="consent-purpose"' in page and "personal-form" not in page  # consent first, then the form
    client.post("/me/identity/", {"action": "consent", "agree": "yes"})
    assert 'id="personal-form"' in client.get("/me/identity/").content.decode()
    bad = client.post("/me/identity/", {"action": "personal", "legal_name": NAME, "id_number": "110105209912310029"})
    assert bad.status_code == 400 and 'id="identity-error"' in bad.content.decode()
    assert client.post("/me/identity/", {"action": "personal", "legal_name": NAME,
                                         "id_number": NUMBER}).status_code == 302
    page = client.get("/me/identity/").content.decode()
    assert "1****************X" in page and NUMBER not in page and NAME not in page


@pytest.mark.clause("G6a")
def test_rejected_submission_is_shown_for_correction(alice, reviewer, submit_personal, origin):
    submission = submit_personal(alice)
    services.identity_reject(submission_id=submission.pk, reviewer=reviewer, reason="证件号与姓名不符",
                             origin=origin)
    client = Client()
    client.force_login(alice)
    page = client.get("/me/identity/").content.decode()
    assert "证件号与姓名不符" in page and 'id="rejection"' in page and 'id="personal-form"' in page


@pytest.mark.clause("G6a")
def test_api_identity_flow_never_returns_plaintext(alice, api):
    client = api(alice)
    assert client.post("/api/v1/me/identity/personal/", {"legal_name": NAME, "id_number": NUMBER},
                       format="json").json()["code"] == "consent_required"
    consent = client.get("/api/v1/me/identity/consent/").json()
    assert consent["purpose"] and consent["given_at"] is None
    assert client.post("/api/v1/me/identity/consent/").status_code == 201
    bad = client.post("/api/v1/me/identity/personal/", {"legal_name": NAME, "id_number": "36042619910102009X"},
                      format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "id_number_checksum"
    created = client.post("/api/v1/me/identity/personal/", {"legal_name": NAME, "id_number": NUMBER},
                          format="json")
    assert created.status_code == 201 and created.json()["status"] == "pending"
    state = client.get("/api/v1/me/identity/")
    text = state.content.decode() + created.content.decode()
    assert NUMBER not in text and NAME not in text and "1****************X" in text


@pytest.mark.clause("G7b")
def test_my_credit_page_and_api(alice, api):
    services.credit_change(user=alice, delta=-15, reason_code="ILL-08", source="measure", reason="散布谣言")
    client = Client()
    client.force_login(alice)
    page = client.get("/me/credit/").content.decode()
    assert 'id="credit-grade">C<' in page and "散布谣言" in page and 'id="grade-table"' in page
    body = api(alice).get("/api/v1/me/credit/").json()
    assert body["grade"] == "C" and body["score"] == 65 and body["history"][0]["delta"] == -15
    assert body["allows"]["admin_eligible"] is False


def test_admin_review_queue_masked_and_reveal_recorded(alice, reviewer, submit_personal):
    submission = submit_personal(alice)
    client = Client()
    client.force_login(reviewer)
    page = client.get(f"/admin/accounts/identitysubmission/{submission.pk}/change/")
    assert page.status_code == 200
    assert NUMBER not in page.content.decode() and "1****************X" in page.content.decode()
    revealed = client.post(f"/admin/accounts/identitysubmission/{submission.pk}/reveal/", {"reason": "核对证件照片"})
    assert revealed.status_code == 200 and NUMBER in revealed.content.decode()
    client.post(f"/admin/accounts/identitysubmission/{submission.pk}/approve/")
    assert User.objects.get(pk=alice.pk).verification_level == 2


@pytest.mark.clause("G5b")
def test_sign_up_with_the_agreement_box_ticked_records_acceptances(publish_material, origin):
    new = publish_material()
    user = services.user_register(username="newbie", password="correct-horse-battery-9", accept_agreements=True,
                                  origin=origin)
    assert AgreementAcceptance.objects.get(user=user, agreement=new).ip == origin.ip


def _signup_post(client, **extra):
    data = {"username": "newcomer", "nickname": "新人", "phone": "", "password": "correct-horse-battery-9"}
    return client.post("/signup/", {**data, **extra}, REMOTE_ADDR="198.51.100.7")


@pytest.mark.clause("G5b")
@pytest.mark.clause("G6b")
def test_sign_up_page_shows_every_agreement_with_an_unticked_box():
    page = Client().get("/signup/").content.decode()
    for kind in ("service", "convention", "privacy"):
        assert f'data-kind="{kind}"' in page
    assert "个人信息保护政策" in page and "保存期限" in page  # the privacy policy itself, not only a link
    box = re.search(r'<input id="id_accept_agreements"[^>]*>', page).group(0)
    assert "required" in box and "checked" not in box


@pytest.mark.clause("G5b")
def test_sign_up_without_the_box_is_refused_and_keeps_what_was_typed():
    client = Client()
    response = _signup_post(client)
    page = response.content.decode()
    assert response.status_code == 400
    assert "注册前请阅读协议并勾选同意" in page
    assert 'value="newcomer"' in page and 'value="新人"' in page
    assert not User.objects.filter(username="newcomer").exists()
    # Ticked, the same form signs up, and every current version is accepted with the request's address.
    response = _signup_post(client, accept_agreements="yes")
    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    accepted = AgreementAcceptance.objects.filter(user=user)
    assert {a.agreement.kind for a in accepted} >= {"service", "convention", "privacy"}
    assert {a.ip for a in accepted} == {"198.51.100.7"}
    logged = LogEntry.objects.get(kind="agreement.accept", actor_id=user.pk)  # the full origin, in the network log
    assert logged.ip == "198.51.100.7" and "privacy:2026.1" in logged.data["versions"]
    assert selectors.agreements_missing(user) == []


@pytest.mark.clause("G6b")
def test_privacy_policy_is_published_and_public_in_both_languages():
    policy = Agreement.objects.get(kind="privacy", version="2026.1")
    assert policy.published_at is not None and policy.material
    for needed in ("收集", "目的", "保存期限", "六个月", "谁能看到", "查阅"):
        assert needed in policy.body_zh
    for needed in ("collect", "six months", "Who sees", "access"):
        assert needed in policy.body_en
    zh = Client().get("/privacy/")
    english = Client()
    english.cookies["django_language"] = "en"
    en = english.get("/privacy/")
    assert zh.status_code == en.status_code == 200
    assert "个人信息保护政策" in zh.content.decode() and "Personal Information Protection Policy" in en.content.decode()


def test_api_sign_up_can_accept_the_agreements(api):
    response = api().post("/api/v1/auth/register/", {"username": "apiuser", "password": "correct-horse-battery-9",
                                                     "accept_agreements": True}, format="json")
    assert response.status_code == 201
    kinds = set(AgreementAcceptance.objects.filter(user__username="apiuser").values_list("agreement__kind", flat=True))
    assert {"service", "convention", "privacy"} <= kinds
