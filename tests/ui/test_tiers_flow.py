"""Group classes (tiers) in a real browser: what each class needs shown before trying, the server's refusal when the
user forces a class they do not qualify for, platform review of the large class, and the manage page's class section
(history, growing into a higher class, review)."""

from __future__ import annotations

import pytest

from accounts.models import VerificationLevel
from groups.models import Group, GroupApplication, TierChange
from tests.factories import UserFactory, make_group

from .conftest import db_call

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # Static files served through the ASGI handler (whitenoise's file iterator) warn; harmless here.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]


def _user(nickname, **kwargs):
    return db_call(UserFactory, nickname=nickname, **kwargs)


def _tier_label(page, slug):
    return page.locator(f'label.tier[data-tier="{slug}"]')


def _open_create(page):
    page.goto("/new/")
    page.locator("label.tier").first.wait_for()  # the classes come from GET /api/v1/tiers/


def _fill_create(page, name, category="interest"):
    page.fill("#c-name", name)
    page.select_option("#c-category", category)
    page.check("#c-ack")


@pytest.mark.clause("G8c")
@pytest.mark.clause("G7a")
def test_l1_user_creates_small_is_told_what_medium_needs_and_is_refused_when_forcing_it(new_page):
    user = _user("一级用户")  # L1 (phone), credit 80 = grade B
    page = new_page(user)
    _open_create(page)

    # Before trying: the small class is open; medium and large are greyed out, each saying exactly what is missing.
    assert _tier_label(page, "small").locator("input").is_enabled()
    medium = _tier_label(page, "medium")
    assert "tier-locked" in medium.get_attribute("class")
    assert medium.locator("input").is_disabled()
    assert "需要 L2 级实名认证（你当前为 L1）" in medium.locator(".tier-missing").inner_text()
    assert medium.locator('.tier-missing a[href="/me/identity/"]').count() == 1
    large = _tier_label(page, "large")
    large_text = large.inner_text()
    assert "开通前需平台审核" in large_text  # a reviewed class says so
    assert "需要 L2 级实名认证（你当前为 L1）" in large_text
    # Grade B meets the class minimum but may own at most a medium group: the server names the grade needed (A).
    assert "需要信用等级 A 或以上（你当前为 B）" in large_text
    assert large.locator('.tier-missing a[href="/me/credit/"]').count() == 1
    assert page.locator("#c-review-note").is_hidden()
    assert page.locator("#create-btn").inner_text() == "创建群组"

    # A small group: created at once.
    _fill_create(page, "一级用户的小群")
    page.click("#create-btn")
    page.wait_for_url("**/?g=*")
    small = db_call(lambda: Group.objects.select_related("tier").get(name="一级用户的小群"))
    assert small.tier.slug == "small"

    # Forcing the medium class past the greyed-out option: the server refuses and names the missing L2 verification.
    _open_create(page)
    page.eval_on_selector('label.tier[data-tier="medium"] input', "el => { el.disabled = false; el.click(); }")
    _fill_create(page, "强行中型群")
    page.click("#create-btn")
    error = page.locator("#create-error")
    error.wait_for()
    text = error.inner_text()
    assert "L2 级实名认证" in text and "L1" in text
    assert error.locator('a[href="/me/identity/"]').count() == 1
    assert not db_call(lambda: Group.objects.filter(name="强行中型群").exists())
    assert not db_call(lambda: GroupApplication.objects.filter(applicant=user).exists())

    # The small group's manage page: its class, its history ("create"), and what growing would need.
    page.goto(f"/g/{small.code}/manage/")
    row = page.locator('#tier-history tr[data-reason="create"]')
    row.wait_for()
    assert "建群" in row.inner_text() and "小型群" in row.inner_text()
    assert page.locator("#tier-current").inner_text().startswith("小型群")
    assert "30 天平均" in page.locator("#tier-activity").inner_text()
    assert page.locator("#tier-size").inner_text().startswith("1 位成员")
    option = page.locator('li.tier-option[data-tier="medium"]')
    option.wait_for()
    assert "需要 L2 级实名认证（你当前为 L1）" in option.inner_text()
    assert option.locator(".tier-grow-btn").is_disabled()
    # Forcing the button: the server's refusal is shown as it is.
    page.eval_on_selector('li.tier-option[data-tier="medium"] .tier-grow-btn', "el => { el.disabled = false; el.click(); }")
    page.locator("#tier-error").wait_for()
    assert "该等级的群需要群主完成 L2 级实名认证（你当前为 L1）" in page.locator("#tier-error").inner_text()
    assert db_call(lambda: TierChange.objects.filter(group=small).count()) == 1


@pytest.mark.clause("G8c")
@pytest.mark.clause("G7a")
def test_l2_grade_a_user_submits_a_large_group_for_review(new_page):
    user = _user("二级A等", verification_level=VerificationLevel.PERSONAL)
    db_call(lambda: type(user).objects.filter(pk=user.pk).update(credit_score=95))  # grade A
    page = new_page(user)
    _open_create(page)
    large = _tier_label(page, "large")
    assert large.locator("input").is_enabled()
    assert large.locator(".tier-missing").count() == 0
    assert "开通前需平台审核" in large.inner_text()
    large.click()
    assert page.locator("#c-review-note").is_visible()
    assert "审核" in page.locator("#c-review-note").inner_text()
    assert page.locator("#create-btn").inner_text() == "提交审核"
    # The large class does not allow open joining: it is not offered.
    assert page.locator('#c-join-mode option[value="open"]').is_disabled()

    _fill_create(page, "城市志愿者大群")
    page.click("#create-btn")
    page.locator("#create-review").wait_for()
    assert "提交平台审核" in page.locator("#create-review").inner_text()
    assert page.locator("#create-btn").is_hidden()
    item = page.locator('#c-applications li.application[data-status="pending"]')
    item.wait_for()
    assert "城市志愿者大群" in item.inner_text() and "大型群" in item.inner_text() and "待审核" in item.inner_text()
    application = db_call(lambda: GroupApplication.objects.get(applicant=user))
    assert application.status == "pending" and application.tier.slug == "large" and not application.is_upgrade
    assert not db_call(lambda: Group.objects.filter(name="城市志愿者大群").exists())

    # The list is there when the user comes back too.
    _open_create(page)
    page.locator('#c-applications li.application[data-status="pending"]').wait_for()


@pytest.mark.clause("G8c")
@pytest.mark.clause("G7a")
def test_owner_grows_the_group_at_once_then_into_a_reviewed_class(new_page):
    owner = _user("升级群主", verification_level=VerificationLevel.PERSONAL)
    db_call(lambda: type(owner).objects.filter(pk=owner.pk).update(credit_score=95))  # grade A
    group = db_call(make_group, owner, name="成长群", join_mode="approval", category="interest")
    page = new_page(owner)
    page.goto(f"/g/{group.code}/manage/")

    # Medium is not reviewed: the group grows at once and the history says so.
    page.locator('li.tier-option[data-tier="medium"] .tier-grow-btn').click()
    page.locator('#tier-ok[data-status="changed"]').wait_for()
    assert "本群已升级为中型群" in page.locator("#tier-ok").inner_text()
    page.locator('#tier-history tr[data-reason="upgrade"]').wait_for()
    assert "小型群 → 中型群" in page.locator('#tier-history tr[data-reason="upgrade"]').inner_text()
    page.wait_for_function("() => document.querySelector('#tier-current').textContent.startsWith('中型群')")
    assert db_call(lambda: Group.objects.get(pk=group.pk).member_cap) == 500

    # Large is reviewed: 202, the application is listed and the button waits.
    button = page.locator('li.tier-option[data-tier="large"] .tier-grow-btn')
    assert "申请升级为大型群" in button.inner_text()
    button.click()
    page.locator('#tier-ok[data-status="pending_review"]').wait_for()
    assert "已提交平台审核" in page.locator("#tier-ok").inner_text()
    page.locator('#tier-pending li.application[data-status="pending"]').wait_for()
    assert page.locator('li.tier-option[data-tier="large"] .tier-grow-btn').is_disabled()
    application = db_call(lambda: GroupApplication.objects.get(group=group, is_upgrade=True))

    # A reviewer approves; the history shows the review.
    def approve():
        from groups.services import tiers

        reviewer = UserFactory(nickname="审核员", is_staff=True)
        tiers.application_decide(actor=reviewer, application_id=application.pk, approve=True)

    db_call(approve)
    page.reload()
    page.locator('#tier-history tr[data-reason="review"]').wait_for()
    assert "平台审核通过" in page.locator('#tier-history tr[data-reason="review"]').inner_text()
    page.locator("#tier-top").wait_for()  # already the highest class: nothing left to grow into
    assert page.locator("li.tier-option").count() == 0
    assert page.locator("#tier-current").inner_text().startswith("大型群")
