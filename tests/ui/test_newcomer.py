"""A newcomer in a real browser: signs up (the agreements shown, the box to tick), then finds a group to join on
"找群" without knowing any code."""

from __future__ import annotations

import pytest

from accounts.models import AgreementAcceptance, User

from .conftest import db_call
from .test_chat import _group, _user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]


@pytest.mark.clause("G5b")
def test_sign_up_needs_the_box_ticked_and_keeps_what_was_typed(new_page):
    page = new_page()
    page.goto("/signup/")
    agreements = page.locator("#signup-agreements").inner_text()
    for title in ("用户服务协议", "平台公约", "个人信息保护政策"):
        assert title in agreements
    page.locator('#signup-agreements li[data-kind="privacy"] summary').click()
    assert "保存期限" in page.locator('#signup-agreements li[data-kind="privacy"]').inner_text()
    assert not page.is_checked("#id_accept_agreements")
    page.fill("#id_username", "newcomer")
    page.fill("#id_nickname", "新来的")
    page.fill("#id_password", "correct-horse-battery-9")
    page.click("#signup-form button[type=submit]")
    # The browser keeps the form (the box is required): nothing typed is lost and no account exists.
    assert page.url.endswith("/signup/")
    assert page.eval_on_selector("#id_accept_agreements", "el => !el.validity.valid")
    assert page.input_value("#id_username") == "newcomer" and page.input_value("#id_password")
    assert not db_call(lambda: User.objects.filter(username="newcomer").exists())
    page.check("#id_accept_agreements")
    page.click("#signup-form button[type=submit]")
    page.wait_for_url(lambda url: "/signup/" not in url)
    kinds = db_call(lambda: set(AgreementAcceptance.objects.filter(user__username="newcomer")
                                .values_list("agreement__kind", flat=True)))
    assert {"service", "convention", "privacy"} <= kinds


def test_a_newcomer_finds_groups_by_category_without_a_code(new_page):
    owner = _user("群主")
    hiking = _group(owner, name="周末爬山", category="interest")
    work = _group(owner, name="前端交流", category="work-study", join_mode="approval")
    _group(owner, name="只邀请的群", category="interest", join_mode="invite")
    page = new_page(_user("新人"))
    page.goto("/find/")
    results = page.locator("#find-results")
    assert page.locator(f'#find-results li[data-code="{hiking.code}"]').count() == 1
    assert page.locator(f'#find-results li[data-code="{work.code}"]').count() == 1
    assert "只邀请的群" not in results.inner_text()
    page.click('#find-categories a[data-category="interest"]')
    page.wait_for_url("**/find/?category=interest")
    assert page.locator(f'#find-results li[data-code="{work.code}"]').count() == 0
    page.fill("#find-q", "爬山")
    page.press("#find-q", "Enter")
    page.wait_for_url("**q=*")
    assert page.locator("#find-results li").count() == 1
    page.click(f'#find-results li[data-code="{hiking.code}"] a.result-name')
    page.wait_for_url(f"**/g/{hiking.code}/")
    assert "周末爬山" in page.locator("main").inner_text()
