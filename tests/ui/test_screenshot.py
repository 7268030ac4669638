"""Renders the chat with demo-like content and saves a 1280x800 screenshot.

``GROUPCHAT_SCREENSHOT=docs/screenshot.png`` writes it there (the README's picture); otherwise it goes to a temporary
directory, and the test still checks the page it shows.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from groups.models import Group, Membership, Message

from .conftest import db_call, open_chat
from .test_chat import _group, _member, _user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # Static files served through the ASGI handler (whitenoise's file iterator) warn; harmless here.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]

CONVERSATION = [
    ("owner", "各位早上好！本周六上午九点在西湖断桥集合，记得带上三脚架"),
    ("lin", "收到！天气预报说周六是晴天，日出大概 6:20"),
    ("member", "我第一次参加，请问需要提前报名吗？"),
    ("admin", "不用报名，直接来就可以。新朋友可以先看看群公告里的注意事项～"),
    ("member", "好的，谢谢管理员！"),
    ("lin", "上周拍的晚霞，给大家看看效果，用的是 24-70 镜头"),
    ("owner", "拍得很棒！构图可以再往左一点，把雷峰塔放在三分线上会更好"),
]


def _demo():
    me = _user("小周")
    owner = _user("老陈")
    admin = _user("阿杰")
    lin = _user("林小雨")
    photo = _group(owner, name="西湖摄影俱乐部", category="interest", announcement="周六 9:00 断桥集合，雨天取消。")
    for u, role in ((admin, "admin"), (lin, "member"), (me, "member")):
        _member(photo, u, role=role)
    run = _group(me, name="城市夜跑团", category="interest")
    _member(run, lin)
    book = _group(admin, name="周末读书会", category="work-study")
    _member(book, me)

    def fill():
        now = timezone.now()
        people = {"owner": owner, "admin": admin, "lin": lin, "member": me}
        rows = [Message(group=photo, seq=i + 1, sender=people[who], client_id=f"demo-{i}", body=body,
                        created_at=now - timedelta(minutes=40 - 5 * i)) for i, (who, body) in enumerate(CONVERSATION)]
        rows += [Message(group=run, seq=1, sender=lin, client_id="run-1", body="今晚八点钱塘江边，10 公里配速 6 分",
                         created_at=now - timedelta(hours=2))]
        rows += [Message(group=book, seq=i + 1, sender=admin, client_id=f"book-{i}", body=body,
                         created_at=now - timedelta(hours=20, minutes=-i)) for i, body in
                 enumerate(["这周读《活着》第三章", "周日下午两点线上分享", "欢迎大家带着问题来讨论"])]
        Message.objects.bulk_create(rows)
        Group.objects.filter(pk=photo.pk).update(last_seq=len(CONVERSATION), last_message_at=now - timedelta(minutes=10))
        Group.objects.filter(pk=run.pk).update(last_seq=1, last_message_at=now - timedelta(hours=2))
        Group.objects.filter(pk=book.pk).update(last_seq=3, last_message_at=now - timedelta(hours=19))
        Membership.objects.filter(group=photo, user=me).update(last_read_seq=len(CONVERSATION), rules_accepted_at=now)
        Membership.objects.filter(group=book, user=me).update(last_read_seq=0)

    db_call(fill)
    return me, photo, book


@pytest.mark.clause("G8c")
def test_chat_screenshot_with_demo_content(new_page, tmp_path):
    me, photo, book = _demo()
    page = new_page(me, viewport={"width": 1280, "height": 800})
    open_chat(page, photo.code)
    page.locator("#message-list li.msg", has_text="雷峰塔").wait_for()
    page.locator("#member-list li.member >> nth=3").wait_for()
    assert page.locator(f'.group-item[data-code="{book.code}"] .unread').inner_text() == "3"
    assert page.locator("#message-list .badge-owner").count() >= 1
    assert page.locator("#message-list .badge-admin").count() >= 1
    page.mouse.move(0, 0)
    target = Path(os.environ.get("GROUPCHAT_SCREENSHOT") or tmp_path / "screenshot.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000
