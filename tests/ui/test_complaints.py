"""Reporting in a real browser: from a message in two clicks (its Report link, then Submit), a ticket number at
once; the reporter is told live when a moderator decides and sees the outcome in My reports."""

from __future__ import annotations

import pytest

from groupchat.core.origin import Origin
from groups import services as group_services
from tests.factories import UserFactory, add_member, make_group

from .conftest import db_call, open_chat

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]

ORIGIN = Origin(ip="203.0.113.9", port=40000, user_agent="ui-test")


def _setup():
    owner = UserFactory(nickname="群主")
    offender = UserFactory(nickname="骗子甲")
    reporter = UserFactory(nickname="热心群众")
    group = make_group(owner, name="邻里群")
    add_member(group, offender)
    add_member(group, reporter)
    message = group_services.message_send(sender=offender, group_code=group.code, body="先转账 500 元才能领奖品",
                                          client_id="scam-1", origin=ORIGIN).message
    return group, reporter, message


def _decide(number: str) -> None:
    from django.contrib.auth.models import Permission

    from complaints import services
    from complaints.models import Complaint

    moderator = UserFactory(nickname="审核员", is_staff=True)
    moderator.user_permissions.add(*Permission.objects.filter(content_type__app_label="complaints"))
    case = Complaint.objects.get(number=number).case
    services.case_decide(case=case, moderator=moderator, outcome="violation", reason="冒充中奖诈骗，已处置",
                         measures=[services.MeasureOrder(kind="credit_down", credit_points=5)])


@pytest.mark.clause("G12")
def test_a_report_from_a_message_in_two_clicks_and_the_outcome_after_the_decision(new_page):
    group, reporter, message = db_call(_setup)
    page = new_page(reporter)
    open_chat(page, group.code)
    bubble = page.locator(f'li.msg[data-id="{message.pk}"]')
    bubble.hover()
    clicks = 0
    bubble.locator("a.report-link").click()  # click 1: the message's Report entry
    clicks += 1
    page.wait_for_url(lambda url: "/report/?target=message" in url)
    assert "先转账 500 元才能领奖品" in page.locator("#report-target").inner_text()  # the message, preselected
    page.check('input[name="category"][value="PLT-FRAUD"]')  # the reason: filling the form, not navigating
    page.click("#report-submit")  # click 2: submit
    clicks += 1
    page.wait_for_selector("#ticket-number")
    number = page.locator("#ticket-number").inner_text().strip()
    assert clicks == 2 and number.startswith("R")
    assert "已受理" in page.locator("#report-state").inner_text()

    open_chat(page, group.code)  # back in the chat, the decision's notice arrives live
    db_call(_decide, number)
    page.wait_for_selector(f".toast:has-text('{number}')")
    page.goto("/reports/")
    row = page.locator(f'tr[data-number="{number}"]')
    assert row.get_attribute("data-state") == "handled"
    assert "确认违规" in row.inner_text() and "冒充中奖诈骗，已处置" in row.inner_text()
