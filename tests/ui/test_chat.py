"""The chat page in a real browser: live messages with role badges, deletes, history, pending/acked, rules."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from groupchat.core.origin import Origin
from groups import services
from groups.models import Group, Message
from tests.factories import UserFactory, add_member, make_group

from .conftest import db_call, open_chat

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # Static files served through the ASGI handler (whitenoise's file iterator) warn; harmless here.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]

ORIGIN = Origin(ip="203.0.113.9", port=40000, user_agent="ui-test")


def _send(user, group, body, client_id):
    """Send as another client would (through the same service the socket uses)."""
    return db_call(services.message_send, sender=user, group_code=group.code, body=body, client_id=client_id,
                   origin=ORIGIN)


def _history(group, sender, n):
    """n old messages, stored directly (the send path's rate limit is not what this test is about)."""
    start = timezone.now() - timedelta(hours=3)
    Message.objects.bulk_create([
        Message(group=group, seq=i, sender=sender, client_id=f"h-{i}", body=f"历史消息 {i:03d}",
                created_at=start + timedelta(seconds=i))
        for i in range(1, n + 1)
    ])
    Group.objects.filter(pk=group.pk).update(last_seq=n, last_message_at=start + timedelta(seconds=n))


def _user(nickname):
    return db_call(UserFactory, nickname=nickname)


def _group(owner, **kwargs):
    return db_call(make_group, owner, **kwargs)


def _member(group, user, role="member"):
    return db_call(add_member, group, user, role=role)


@pytest.mark.clause("G8c")
def test_two_users_chat_live_with_nickname_and_role_badge(new_page):
    owner = _user("老王")
    member = _user("小李")
    group = _group(owner, name="读书会")
    _member(group, member)

    owner_page = new_page(owner, via_form=True)  # the real log-in page
    member_page = new_page(member, via_form=True)
    open_chat(owner_page, group.code)
    open_chat(member_page, group.code)

    owner_page.fill("#composer-input", "大家好，欢迎加入！")
    owner_page.press("#composer-input", "Enter")

    # The other browser sees it live (no reload), with the sender's nickname and the owner badge.
    msg = member_page.locator("#message-list li.msg", has_text="大家好，欢迎加入！")
    msg.wait_for()
    assert msg.locator(".nick").inner_text() == "老王"
    assert msg.locator(".badge").inner_text() == "群主"
    assert msg.locator(".badge").get_attribute("data-role") == "owner"

    # The member's reply carries no badge; the owner sees it live too.
    member_page.fill("#composer-input", "谢谢群主")
    member_page.press("#composer-input", "Enter")
    reply = owner_page.locator("#message-list li.msg", has_text="谢谢群主")
    reply.wait_for()
    assert reply.locator(".nick").inner_text() == "小李"
    assert reply.locator(".badge").count() == 0
    # Shift+Enter makes a new line instead of sending.
    member_page.fill("#composer-input", "第一行")
    member_page.press("#composer-input", "Shift+Enter")
    assert member_page.locator("#composer-input").input_value() == "第一行\n"
    assert Message.objects.filter(group=group).count() == 2


@pytest.mark.clause("G8c")
def test_member_list_shows_owner_and_admin_badges(new_page):
    owner = _user("群主甲")
    admin = _user("管理乙")
    member = _user("成员丙")
    group = _group(owner, name="徽章群")
    _member(group, admin, role="admin")
    _member(group, member)
    page = new_page(member)
    open_chat(page, group.code)
    page.wait_for_selector("#member-list li.member >> nth=2")
    roles = page.eval_on_selector_all("#member-list li.member", "els => els.map(e => [e.textContent, e.dataset.role])")
    by_role = {role: text for text, role in roles}
    assert "群主" in by_role["owner"] and "管理员" in by_role["admin"]
    assert "群主" not in by_role["member"] and "管理员" not in by_role["member"]


@pytest.mark.clause("G9b")
def test_admin_deletes_a_message_and_it_disappears_live(new_page):
    owner = _user("群主")
    admin = _user("管理员A")
    member = _user("捣乱的人")
    group = _group(owner, name="管理测试")
    _member(group, admin, role="admin")
    _member(group, member)
    bad = _send(member, group, "这是一条违规消息", "bad-1")

    admin_page = new_page(admin)
    member_page = new_page(member)
    open_chat(admin_page, group.code)
    open_chat(member_page, group.code)
    member_page.locator("#message-list li.msg", has_text="这是一条违规消息").wait_for()

    admin_page.on("dialog", lambda d: d.accept())
    row = admin_page.locator(f'#message-list li.msg[data-id="{bad.message.id}"]')
    row.hover()
    row.locator(".msg-delete").click()

    # Gone in the other browser, live: the text is no longer shown, a placeholder is.
    member_page.wait_for_selector(f'#message-list li.msg.removed[data-seq="{bad.message.seq}"]')
    assert "这是一条违规消息" not in member_page.locator("#message-list").inner_text()
    assert "此消息已被删除" in member_page.locator("#message-list").inner_text()
    assert Message.objects.get(pk=bad.message.pk).removed_at is not None


def test_infinite_scroll_loads_older_history(new_page):
    owner = _user("历史")
    group = _group(owner, name="历史群")
    db_call(_history, group, owner, 130)
    page = new_page(owner)
    open_chat(page, group.code)
    page.locator("#message-list li.msg", has_text="历史消息 130").wait_for()
    assert page.locator("#message-list li.msg", has_text="历史消息 001").count() == 0
    for _ in range(10):
        page.eval_on_selector("#messages", "el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
        if page.locator("#message-list li.msg", has_text="历史消息 001").count():
            break
        page.wait_for_timeout(400)
    page.locator("#message-list li.msg", has_text="历史消息 001").wait_for()
    seqs = page.eval_on_selector_all("#message-list li.msg[data-seq]", "els => els.map(e => +e.dataset.seq)")
    assert seqs == list(range(1, 131))  # in order, no duplicates, no gaps
    page.wait_for_function("() => document.querySelector('#history-state').textContent.includes('最早')")


def test_pending_then_acked_and_missed_messages_resumed_after_reconnect(new_page):
    owner = _user("发送者")
    other = _user("旁人")
    group = _group(owner, name="确认群")
    _member(group, other)
    page = new_page(owner)
    open_chat(page, group.code)

    # Hold the socket's outgoing frames so the pending state is visible, then let them go.
    page.evaluate("""() => { const ws = window.GCChat.ws; window.__held = []; const real = ws.send.bind(ws);
        ws.send = (d) => { if (JSON.parse(d).type === 'send') window.__held.push(d); else real(d); };
        window.__release = () => { ws.send = real; window.__held.forEach(real); }; }""")
    page.fill("#composer-input", "等待确认的消息")
    page.press("#composer-input", "Enter")
    pending = page.locator('#message-list li.pending[data-status="sending"]', has_text="等待确认的消息")
    pending.wait_for()
    assert "发送中" in pending.inner_text()
    page.evaluate("() => window.__release()")
    page.locator("#message-list li.msg[data-seq]", has_text="等待确认的消息").wait_for()
    assert page.locator("#message-list li.pending").count() == 0

    # Drop the socket, send meanwhile from elsewhere, reconnect: the missed message arrives once (resume).
    page.evaluate("() => window.GCChat.disconnect()")
    page.wait_for_timeout(200)
    _send(other, group, "断线期间的消息", "offline-1")
    page.evaluate("() => window.GCChat.reconnect()")
    page.locator("#message-list li.msg", has_text="断线期间的消息").wait_for()
    page.wait_for_timeout(300)
    seqs = page.eval_on_selector_all("#message-list li.msg[data-seq]", "els => els.map(e => +e.dataset.seq)")
    assert seqs == [1, 2]


@pytest.mark.clause("G9a")
def test_rules_dialog_before_first_message(new_page):
    owner = _user("立规矩")
    newbie = _user("新人")
    group = _group(owner, name="有群规的群", rules="1. 友善交流\n2. 禁止广告")
    _member(group, newbie)
    page = new_page(newbie)
    open_chat(page, group.code)
    page.fill("#composer-input", "我的第一条消息")
    page.press("#composer-input", "Enter")
    dialog = page.locator("#rules-dialog")
    dialog.wait_for(state="visible")
    assert "禁止广告" in dialog.inner_text()
    assert not Message.objects.filter(group=group).exists()
    page.click("#rules-accept")
    page.locator("#message-list li.msg[data-seq]", has_text="我的第一条消息").wait_for()
    assert Message.objects.filter(group=group, body="我的第一条消息").count() == 1


@pytest.mark.clause("G9b")
def test_muted_member_sees_the_refusal_then_retries_after_unmute(new_page):
    owner = _user("禁言者")
    member = _user("被禁言")
    group = _group(owner, name="禁言群")
    _member(group, member)
    db_call(services.member_mute, actor=owner, group=group, target=member, minutes=10, origin=ORIGIN)
    page = new_page(member)
    open_chat(page, group.code)
    page.fill("#composer-input", "我能说话吗")
    page.press("#composer-input", "Enter")
    failed = page.locator('#message-list li.pending[data-status="failed"]', has_text="我能说话吗")
    failed.wait_for()
    assert "禁言" in failed.locator(".msg-state").inner_text()  # the server's human detail, in Chinese
    db_call(services.member_mute, actor=owner, group=group, target=member, minutes=None, origin=ORIGIN)
    failed.locator(".retry-btn").click()
    page.locator("#message-list li.msg[data-seq]", has_text="我能说话吗").wait_for()
    assert page.locator("#message-list li.pending").count() == 0
    assert Message.objects.filter(group=group, body="我能说话吗").count() == 1


def test_gap_in_seq_is_filled_by_resume_without_duplicates(new_page):
    sender = _user("发消息的人")
    reader = _user("读消息的人")
    group = _group(sender, name="丢包群")
    _member(group, reader)
    page = new_page(reader)
    dropped = []

    def lossy_socket(ws):
        # Lose one live `message` frame on the way to the browser, as an at-most-once channel layer may.
        server = ws.connect_to_server()

        def to_browser(text):
            frame = json.loads(text)
            if frame.get("type") == "message" and not frame.get("replay") and not dropped \
                    and frame["message"]["body"] == "会丢失的消息":
                dropped.append(frame["message"]["seq"])
                return
            ws.send(text)

        server.on_message(to_browser)
        ws.on_message(lambda text: server.send(text))

    page.route_web_socket("**/ws/", lossy_socket)
    open_chat(page, group.code)
    _send(sender, group, "会丢失的消息", "gap-1")
    _send(sender, group, "下一条消息", "gap-2")
    # seq 2 arrives while seq 1 was lost: the client asks to resume and shows both, once each, in order.
    page.locator("#message-list li.msg", has_text="会丢失的消息").wait_for()
    page.locator("#message-list li.msg", has_text="下一条消息").wait_for()
    assert dropped == [1]
    seqs = page.eval_on_selector_all("#message-list li.msg[data-seq]", "els => els.map(e => +e.dataset.seq)")
    assert seqs == [1, 2]
