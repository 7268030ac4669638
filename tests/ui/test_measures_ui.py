"""Measures in a real browser: a member forced offline sees why and the chat does not reconnect by itself; after a
posting suspension the open chat's next message is refused with the reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from moderation.measures import measure_issue
from moderation.models_measures import MeasureKind
from tests.factories import ORIGIN, UserFactory, add_member, make_group
from tests.moderation.measures_helpers import moderator

from .conftest import db_call, open_chat

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]


def _world():
    owner, alice = UserFactory(), UserFactory()
    group = make_group(owner)
    add_member(group, alice)
    return owner, alice, group, moderator()


@pytest.mark.clause("G11b")
def test_forced_offline_member_sees_the_notice_and_stays_offline(new_page):
    _owner, alice, group, mod = db_call(_world)
    page = new_page(alice)
    open_chat(page, group.code)
    db_call(measure_issue, kind=MeasureKind.FORCE_OFFLINE, operator=mod, reason_code="PLT-SPAM",
            target_user=alice, evidence={"ui": True}, origin=ORIGIN)
    page.wait_for_selector(".toast", state="attached")
    assert "处置" in page.text_content("#toasts")
    page.wait_for_selector("#conn[data-state=offline]", state="attached")
    page.wait_for_timeout(1500)  # longer than the first automatic reconnect's back-off
    assert page.get_attribute("#conn", "data-state") == "offline"


@pytest.mark.clause("G11a")
def test_after_a_suspension_the_open_chats_next_message_is_refused_with_the_reason(new_page):
    _owner, alice, group, mod = db_call(_world)
    page = new_page(alice)
    open_chat(page, group.code)
    db_call(measure_issue, kind=MeasureKind.SUSPEND_POSTING, operator=mod, reason_code="PLT-SPAM",
            target_group=group, until=timezone.now() + timedelta(hours=2), evidence={"ui": True}, origin=ORIGIN)
    page.fill("#composer-input", "还能发吗")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.body.textContent.includes('暂停发言')")


@pytest.mark.clause("G11a")
def test_a_warning_appears_on_the_open_chat_of_the_owner_and_stays_after_a_reload(new_page):
    owner, _alice, group, mod = db_call(_world)
    page = new_page(owner)
    open_chat(page, group.code)
    assert page.is_hidden("#pane-notices")
    db_call(measure_issue, kind=MeasureKind.WARNING, operator=mod, reason_code="PLT-SPAM", target_group=group,
            until=timezone.now() + timedelta(days=3), evidence={"ui": True}, origin=ORIGIN)
    # Live: the measure's notice makes the open chat load its banners anew.
    page.wait_for_selector("#pane-notices:not([hidden])")
    assert "整改" in page.text_content("#pane-notices")
    # And for someone who was away: it is there when the chat is opened again.
    page.reload()
    open_chat(page, group.code)
    page.wait_for_selector("#pane-notices:not([hidden])")
    assert "整改" in page.text_content("#pane-notices")
