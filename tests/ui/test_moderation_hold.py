"""A moderator holds, releases and removes a message while a member watches the chat (G10), in real browsers: the
sender sees "waiting for review", the member sees nothing until the release, then the message live; a removed one
never reaches the member and turns into "not sent" for its sender."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group as Role

from groups.models import Message
from moderation.models_screening import HeldMessage
from moderation.roles_measures import MODERATOR
from moderation.roles_screening import screening_roles_ensure
from moderation.screening.rules import rule_create
from tests.factories import UserFactory, add_member, make_group

from .conftest import db_call, open_chat

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]


def _world():
    owner = UserFactory(nickname="群主")
    sender = UserFactory(nickname="小赵")
    watcher = UserFactory(nickname="小钱")
    group = make_group(owner, name="读书会")
    add_member(group, sender)
    add_member(group, watcher)
    screening_roles_ensure()
    moderator = UserFactory(nickname="审核员", is_staff=True)
    moderator.groups.add(Role.objects.get(name=MODERATOR))
    rule_create(actor=None, keyword="网上赌场", category="PLT-GAMBLING", action="hold")
    return group, sender, watcher, moderator


def _held_id(body: str) -> int:
    return db_call(lambda: HeldMessage.objects.get(body=body).pk)


@pytest.mark.clause("G10")
def test_moderator_releases_and_removes_held_messages_while_a_member_watches(new_page):
    group, sender, watcher, moderator = db_call(_world)
    sender_page = new_page(sender)
    watcher_page = new_page(watcher)
    moderator_page = new_page(moderator)
    open_chat(sender_page, group.code)
    open_chat(watcher_page, group.code)

    # Held: its sender sees it waiting for review; the member sees nothing.
    sender_page.fill("#composer-input", "周末去网上赌场吗")
    sender_page.press("#composer-input", "Enter")
    waiting = sender_page.locator("#message-list li.msg.pending.state-review", has_text="周末去网上赌场吗")
    waiting.wait_for()
    assert "等待审核" in waiting.inner_text()
    sender_page.fill("#composer-input", "普通消息")
    sender_page.press("#composer-input", "Enter")
    watcher_page.locator("#message-list li.msg", has_text="普通消息").wait_for()
    assert "网上赌场" not in watcher_page.locator("#message-list").inner_text()

    # The moderator sees it among the messages around it and releases it: the member sees it live, after the
    # message sent meanwhile; the sender's bubble is an ordinary message now.
    moderator_page.goto("/admin/")
    assert moderator_page.locator('[data-panel="moderation.held"] .badge').inner_text() == "1"
    moderator_page.goto(f"/admin/moderation/heldmessage/{_held_id('周末去网上赌场吗')}/change/")
    assert "周末去网上赌场吗" in moderator_page.locator(".screening-context").inner_text()
    moderator_page.click("input[name=_release]")
    moderator_page.wait_for_url("**/heldmessage/?status__exact=held")
    released = watcher_page.locator("#message-list li.msg", has_text="周末去网上赌场吗")
    released.wait_for()
    seqs = watcher_page.eval_on_selector_all("#message-list li.msg[data-seq]", "els => els.map(e => +e.dataset.seq)")
    assert seqs == sorted(seqs) and seqs[-1] == db_call(lambda: Message.objects.get(body="周末去网上赌场吗").seq)
    sender_page.locator("#message-list li.msg.pending", has_text="周末去网上赌场吗").wait_for(state="detached")
    assert sender_page.locator("#message-list li.msg", has_text="周末去网上赌场吗").count() == 1

    # Held again, then removed: the sender is told and the bubble becomes "not sent"; the member never sees it.
    sender_page.fill("#composer-input", "网上赌场开业大酬宾")
    sender_page.press("#composer-input", "Enter")
    sender_page.locator("#message-list li.msg.state-review", has_text="网上赌场开业大酬宾").wait_for()
    moderator_page.goto(f"/admin/moderation/heldmessage/{_held_id('网上赌场开业大酬宾')}/change/")
    moderator_page.click("input[name=_remove]")
    moderator_page.wait_for_url("**/heldmessage/?status__exact=held")
    failed = sender_page.locator("#message-list li.msg.state-failed", has_text="网上赌场开业大酬宾")
    failed.wait_for()
    assert "未通过审核" in failed.inner_text()
    watcher_page.wait_for_timeout(300)
    assert "网上赌场开业" not in watcher_page.locator("#message-list").inner_text()
    assert db_call(lambda: list(HeldMessage.objects.order_by("id").values_list("status", flat=True))) == [
        "released", "removed"]
