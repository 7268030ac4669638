"""The ordinary pages in a real browser: public group info, language switch, find, create, manage, invitation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from groups.models import Group, Invitation, JoinRequest, Membership

from .conftest import db_call
from .test_chat import _group, _member, _user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # Static files served through the ASGI handler (whitenoise's file iterator) warn; harmless here.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]


@pytest.mark.clause("G8b")
def test_group_info_page_is_public_and_shows_code_badges_rules(new_page):
    owner = _user("群主老张")
    admin = _user("管理小陈")
    group = _group(owner, name="摄影爱好者", category="interest", announcement="周末外拍", rules="只发原创作品",
                   join_mode="question", join_question="你用什么相机？")
    _member(group, admin, role="admin")
    page = new_page()  # not logged in
    page.goto(f"/g/{group.code}/")
    assert page.locator("#group-code").inner_text() == group.code
    assert page.locator("#group-name").inner_text() == "摄影爱好者"
    assert page.locator("#member-count").inner_text() == "2"
    text = page.locator("main").inner_text()
    for expected in ("兴趣爱好", "小型群", "周末外拍", "只发原创作品", "群主老张", "管理小陈", "登录后加入", "举报该群"):
        assert expected in text
    assert page.locator('#managers [data-role="owner"] .badge').inner_text() == "群主"
    assert page.locator('#managers [data-role="admin"] .badge').inner_text() == "管理员"
    created = timezone.localtime(group.created_at).strftime("%Y-%m-%d %H:%M")  # Asia/Shanghai
    assert created in text
    assert page.locator('a[href^="/report/?target=group:"]').count() == 1


@pytest.mark.clause("G8c")
def test_join_request_with_question_then_admin_approves(new_page):
    owner = _user("审核人")
    asker = _user("申请人")
    group = _group(owner, name="问答群", join_mode="question", join_question="暗号是什么？")
    page = new_page(asker)
    page.goto(f"/g/{group.code}/")
    assert "暗号是什么？" in page.locator("#join-form").inner_text()
    page.fill("#join-answer", "天王盖地虎")
    page.click("#join-btn")
    page.locator("#join-ok").wait_for()
    assert db_call(lambda: JoinRequest.objects.get(group=group, user=asker).answer) == "天王盖地虎"

    manager = new_page(owner)
    manager.goto(f"/g/{group.code}/manage/")
    row = manager.locator("#requests-table tr", has_text="申请人")
    assert "天王盖地虎" in row.inner_text()
    row.locator(".approve-btn").click()
    manager.locator("#members-table tr", has_text="申请人").wait_for()
    assert db_call(lambda: Membership.objects.filter(group=group, user=asker).exists())


@pytest.mark.clause("G9b")
def test_manage_page_mute_role_invite_link_and_audit_log(new_page):
    owner = _user("管理群主")
    member = _user("普通成员")
    group = _group(owner, name="工具群")
    _member(group, member)
    page = new_page(owner)
    page.goto(f"/g/{group.code}/manage/")
    row = page.locator(f'#members-table tr[data-user-id="{member.pk}"]')
    row.locator(".mute-select").select_option("60")
    page.wait_for_function(
        f"""() => !document.querySelector('#members-table tr[data-user-id="{member.pk}"] td:nth-child(3)').textContent.includes('—')""")
    assert db_call(lambda: Membership.objects.get(group=group, user=member).muted_until) is not None

    prompts = []
    page.on("dialog", lambda d: (prompts.append(d.message), d.accept()))
    row.locator(".role-btn").click()  # appointing an admin: the owner confirms the admin's duties were told (G9a)
    page.locator(f'#members-table tr[data-user-id="{member.pk}"][data-role="admin"] .badge-admin').wait_for()
    assert prompts and "职责" in prompts[0]

    page.click("#invite-create")
    page.locator("#invite-result").wait_for()
    assert "/invite/" in page.locator("#invite-link").inner_text()
    assert page.locator("#invite-expires").inner_text()

    page.check("#mute-all")
    page.wait_for_function("() => document.querySelectorAll('#audit-table tr[data-action=mute_all]').length > 0")
    assert db_call(lambda: Group.objects.get(pk=group.pk).all_muted)
    actions = page.eval_on_selector_all("#audit-table tbody tr", "els => els.map(e => e.dataset.action)")
    assert {"mute", "role", "link", "mute_all", "create"} <= set(actions)


@pytest.mark.clause("G9b")
def test_member_gets_the_refusal_on_the_manage_page(new_page):
    owner = _user("群主")
    member = _user("无权限")
    group = _group(owner, name="权限群")
    _member(group, member)
    page = new_page(member)
    page.goto(f"/g/{group.code}/manage/")
    page.locator("#audit-error").wait_for()
    assert "只有群主或管理员" in page.locator("#audit-error").inner_text()


def test_language_switch_to_english_is_saved_on_the_profile(new_page):
    user = _user("双语用户")
    group = _group(user, name="Bilingual")
    page = new_page(user)
    page.goto(f"/g/{group.code}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "群号" in page.locator("main").inner_text()
    page.click(".lang-btn[value=en]")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert "Group code" in page.locator("main").inner_text()
    assert db_call(lambda: User.objects.get(pk=user.pk).language) == "en"
    page.goto(f"/?g={group.code}")
    page.wait_for_selector("#conn[data-state=online]")
    assert page.locator("#composer .send-btn").inner_text() == "Send"
    assert page.locator("#member-list .badge-owner").inner_text() == "Owner"


def test_find_by_code_and_create_group_with_duties(new_page):
    owner = _user("找群的人")
    group = _group(owner, name="城市跑团")
    page = new_page(owner)
    page.goto("/find/")
    page.fill("#find-q", group.code)
    page.press("#find-q", "Enter")
    page.locator(f'#find-results li[data-code="{group.code}"]').wait_for()
    assert "城市跑团" in page.locator("#find-results").inner_text()

    page.goto("/new/")
    page.locator('label.tier[data-tier="small"] input:checked').wait_for(state="attached")  # tiers from the API
    page.select_option("#c-category", "interest")
    page.fill("#c-name", "新建的群")
    page.click("#create-btn")  # the owner's duties are not acknowledged: the API's refusal is shown
    page.locator("#create-error").wait_for()
    assert "群主责任" in page.locator("#create-error").inner_text()
    page.check("#c-ack")
    page.click("#create-btn")
    page.wait_for_url("**/?g=*")
    page.locator("#pane-name", has_text="新建的群").wait_for()


def test_invitation_link_accept_and_expired(new_page):
    owner = _user("邀请人")
    guest = _user("受邀人")
    group = _group(owner, name="邀请群", join_mode="invite")

    def links():
        from groups import services
        from tests.factories import ORIGIN

        good = services.invitation_create(actor=owner, group=group, origin=ORIGIN)
        old = services.invitation_create(actor=owner, group=group, origin=ORIGIN)
        Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
        return good.token, old.token

    good, expired = db_call(links)
    page = new_page(guest)
    page.goto(f"/invite/{expired}/")
    page.click("#invite-accept")
    page.locator("#invite-error").wait_for()
    assert "已过期" in page.locator("#invite-error").inner_text()

    page.goto(f"/invite/{good}/")
    assert "邀请群" in page.locator("main").inner_text()
    page.click("#invite-accept")
    page.wait_for_url(f"**/?g={group.code}")
    assert db_call(lambda: Membership.objects.filter(group=group, user=guest).exists())


def test_report_placeholder_links_12377(new_page):
    page = new_page()
    page.goto("/report/?target=message:42")
    assert "一条消息" in page.locator("#report-target").inner_text()
    assert page.locator("#link-12377").get_attribute("href") == "https://www.12377.cn"


@pytest.mark.clause("G9a")
def test_ownership_transfer_needs_the_duties_acknowledged(new_page):
    owner = _user("老群主")
    heir = _user("新群主")
    group = _group(owner, name="转让群")
    _member(group, heir, role="admin")

    def offer():
        from groups import services
        from tests.factories import ORIGIN

        services.group_transfer_offer(actor=owner, group=group, new_owner=heir, origin=ORIGIN)

    db_call(offer)
    page = new_page(heir)
    page.goto(f"/g/{group.code}/")
    box = page.locator("#transfer")
    assert "群主责任" in box.inner_text()
    page.click("#transfer-accept")  # the checkbox is required: nothing is sent
    assert db_call(lambda: Group.objects.get(pk=group.pk).owner_id) == owner.pk
    page.check("#transfer-ack")
    page.click("#transfer-accept")
    page.wait_for_url(f"**/g/{group.code}/manage/")
    assert db_call(lambda: Group.objects.get(pk=group.pk).owner_id) == heir.pk
