"""Real name and agreements in a real browser: an unverified user is refused with a way to fix it, verifies the
phone (code from the development SMS outbox) and posts; a new material agreement version stops posting until the
user accepts it; the L2 form needs the separate consent and then shows the submission masked."""

from __future__ import annotations

import json
import re

import pytest

from accounts.models import Agreement, IdentityConsent, IdentitySubmission, User, VerificationLevel
from groups.models import Message
from tests.factories import UserFactory, add_member, make_group

from .conftest import db_call, open_chat

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # Static files served through the ASGI handler (whitenoise's file iterator) warn; harmless here.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]

PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"  # a well-formed sample number (valid province, date and check character)


def _member_at_level(nickname, level):
    """A member of an open group (joined while verified), then set to ``level`` as an operator or a fresh sign-up
    would leave them."""
    owner = db_call(UserFactory, nickname="群主")
    user = db_call(UserFactory, nickname=nickname)
    group = db_call(make_group, owner, name="实名测试群", join_mode="open")
    db_call(add_member, group, user)
    db_call(lambda: User.objects.filter(pk=user.pk).update(verification_level=level))
    return user, group


def _send(page, body):
    page.fill("#composer-input", body)
    page.press("#composer-input", "Enter")


def _sent(page, body):
    """Wait until ``body`` is shown as a stored message (acknowledged, not pending)."""
    page.locator("#message-list li.msg:not(.pending)", has_text=body).wait_for()


def _refused(page, body):
    item = page.locator('#message-list li.msg[data-status="failed"]', has_text=body)
    item.wait_for()
    return item


def _sms_code(outbox, phone):
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    text = [m["text"] for m in lines if m["phone"] == phone][-1]
    return re.search(r"\d{6}", text).group()


@pytest.mark.clause("G6a")
def test_unverified_user_is_refused_verifies_the_phone_and_posts(new_page, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the development SMS sender writes to VAR_DIR / "sms-outbox.jsonl"
    user, group = _member_at_level("未实名", VerificationLevel.NONE)
    page = new_page(user)
    open_chat(page, group.code)

    _send(page, "我想说句话")
    item = _refused(page, "我想说句话")
    assert "请先完成实名认证" in item.inner_text()
    assert not db_call(lambda: Message.objects.filter(group=group, sender=user).exists())
    item.locator('a[href="/me/identity/"]').click()
    page.wait_for_url("**/me/identity/")
    assert page.locator("#identity-page").get_attribute("data-level") == "0"
    assert "未认证" in page.locator("#current-level").inner_text()

    page.fill('#phone-section input[name="phone"]', PHONE)
    page.click('#phone-section form:has(input[value="phone_send"]) button')
    page.locator('#phone-section input[name="code"]').wait_for()
    assert "验证码已发送" in page.locator("#identity-page").inner_text()
    page.fill('#phone-section input[name="code"]', _sms_code(tmp_path / "sms-outbox.jsonl", PHONE))
    page.click('#phone-section form:has(input[value="phone_verify"]) button')
    page.wait_for_selector('#identity-page[data-level="1"]')
    assert "手机号认证成功" in page.locator("#identity-page").inner_text()
    assert "139****5678" in page.locator("#identity-page").inner_text()
    assert db_call(lambda: User.objects.get(pk=user.pk).verification_level) == VerificationLevel.PHONE

    open_chat(page, group.code)
    # The refused message was kept in the tab across the trip to the identity page and is sent again by itself.
    _sent(page, "我想说句话")
    assert db_call(lambda: Message.objects.filter(group=group, sender=user, body="我想说句话").count()) == 1
    _send(page, "认证后发言")
    _sent(page, "认证后发言")
    assert db_call(lambda: Message.objects.filter(group=group, sender=user, body="认证后发言").exists())


@pytest.mark.clause("G5b")
def test_new_material_agreement_stops_posting_until_accepted(new_page):
    user, group = _member_at_level("守约用户", VerificationLevel.PHONE)
    page = new_page(user)
    open_chat(page, group.code)
    _send(page, "协议更新前")
    _sent(page, "协议更新前")

    def publish():
        from accounts.agreements import agreement_publish

        draft = Agreement.objects.create(kind="service", version="2026.2", title_zh="用户服务协议（修订）",
                                         title_en="Terms of Service (revised)", body_zh="第一条 修订后的条款。",
                                         body_en="1. The revised terms.", material=True)
        return agreement_publish(agreement=draft)

    agreement = db_call(publish)
    _send(page, "协议更新后")
    item = _refused(page, "协议更新后")
    assert "用户协议已更新" in item.inner_text()
    item.locator('a[href="/agreements/"]').click()
    page.wait_for_url("**/agreements/")
    assert page.locator("#agreements-required").is_visible()
    article = page.locator('article.agreement[data-version="2026.2"]')
    assert "用户服务协议（修订）" in article.inner_text() and "修订后的条款" in article.inner_text()
    page.click("#accept-btn")
    page.wait_for_url(lambda url: "/agreements/" not in url)
    assert db_call(lambda: agreement.acceptances.filter(user=user).exists())

    open_chat(page, group.code)
    _send(page, "同意后发言")
    _sent(page, "同意后发言")
    page.goto("/agreements/")
    assert page.locator("#agreements-ok").is_visible()


@pytest.mark.clause("G6a")
@pytest.mark.clause("G6b")
def test_personal_identity_needs_separate_consent_and_shows_only_masked_values(new_page):
    user = db_call(UserFactory, nickname="二级申请人")  # L1
    page = new_page(user)
    page.goto("/me/identity/")
    section = page.locator("#personal-section")
    assert page.locator("#personal-form").count() == 0  # no ID form before the separate consent
    assert section.locator("#consent-purpose").is_visible()
    page.click("#consent-btn")  # the box is required: nothing is sent
    assert page.locator("#personal-form").count() == 0
    assert not db_call(lambda: IdentityConsent.objects.filter(user=user).exists())

    section.locator('input[name="agree"]').check()
    page.click("#consent-btn")
    page.locator("#personal-form").wait_for()
    consent = db_call(lambda: IdentityConsent.objects.get(user=user))
    assert consent.purpose_text  # what was shown is stored with the consent

    page.fill('#personal-form input[name="legal_name"]', "王小明")
    page.fill('#personal-form input[name="id_number"]', ID_NUMBER)
    page.click('#personal-form button[type="submit"]')
    banner = section.locator(".banner")
    banner.wait_for()
    assert "审核中" in banner.inner_text()
    assert "1****************X" in banner.inner_text()
    html = page.content()
    assert ID_NUMBER not in html and "王小明" not in html
    assert "审核中" in page.locator(".facts").inner_text()
    submission = db_call(lambda: IdentitySubmission.objects.get(user=user))
    assert submission.status == "pending" and submission.id_number_masked == "1****************X"
    assert db_call(lambda: User.objects.get(pk=user.pk).verification_level) == VerificationLevel.PHONE
