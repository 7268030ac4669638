"""找群: a newcomer sees public groups to join, by category and activity, can search within them, and pages through
them by keyset. Only findable groups that are open to join appear (one filter: selectors.groups_findable)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from groups import selectors
from groups.codes import group_code_issue
from groups.models import Group
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _group(owner, name: str, **fields) -> Group:
    fields.setdefault("join_mode", "open")
    return Group.objects.create(code=group_code_issue(), name=name, owner=owner, member_count=fields.pop("members", 3),
                                **fields)


@pytest.fixture
def newcomer():
    return UserFactory(nickname="新人")


def _page(user, **params) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/find/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_newcomer_sees_public_groups_without_searching(owner, newcomer):
    runners = _group(owner, "城市跑团", category="interest", activity_avg=40, activity_band="active")
    quiet = _group(owner, "读书会", category="interest", join_mode="approval")
    page = _page(newcomer)
    assert f'data-code="{runners.code}"' in page and f'data-code="{quiet.code}"' in page
    assert page.index(runners.code) < page.index(quiet.code)  # the more active first
    assert "兴趣爱好" in page and 'id="find-categories"' in page


def test_only_findable_groups_open_to_join_are_listed(owner, newcomer):
    shown = _group(owner, "开放群")
    hidden = [
        _group(owner, "私密群", is_public=False),
        _group(owner, "已关闭", status="closed"),
        _group(owner, "暂停发言", status="suspended", status_until=timezone.now() + timedelta(days=1)),
        _group(owner, "仅邀请", join_mode="invite"),
        _group(owner, "黑名单", blacklisted_until=timezone.now() + timedelta(days=30)),
        _group(owner, "三星群", credit_stars=3),
    ]
    page = _page(newcomer)
    assert f'data-code="{shown.code}"' in page
    for group in hidden:
        assert group.code not in page, group.name
    listed = {g.pk for g in selectors.group_directory(limit=50).groups}
    assert listed == {shown.pk}
    # The same filter governs search: a hidden group is not found by name or code either (except its own info page).
    assert selectors.group_search(query="黑名单") == [] and selectors.group_search(query=hidden[0].code) == []


def test_categories_filter_and_search_within(owner, newcomer):
    run = _group(owner, "城市跑团", category="interest")
    work = _group(owner, "前端工作群", category="work-study")
    other_run = _group(owner, "夜跑团", category="other")
    page = _page(newcomer, category="interest")
    assert run.code in page and work.code not in page and other_run.code not in page
    assert 'data-category="interest" aria-current="page"' in page
    page = _page(newcomer, q="跑团")
    assert run.code in page and other_run.code in page and work.code not in page
    page = _page(newcomer, q="跑团", category="other")
    assert other_run.code in page and run.code not in page
    page = _page(newcomer, q=work.code)
    assert work.code in page and run.code not in page
    page = _page(newcomer, q="没有这个群")
    assert 'id="find-empty"' in page


def test_keyset_pages_cover_every_group_once_in_activity_order(owner, newcomer):
    groups = [_group(owner, f"群{i:02d}", activity_avg=float(i % 7), credit_stars=4 if i % 5 == 0 else 5)
              for i in range(23)]
    seen: list[Group] = []
    cursor = ""
    with CaptureQueriesContext(connection) as queries:
        while True:
            page = selectors.group_directory(cursor=cursor, limit=5)
            seen += page.groups
            if not page.next_cursor:
                break
            cursor = page.next_cursor
    assert sorted(g.pk for g in seen) == sorted(g.pk for g in groups)
    keys = [(g.credit_stars, g.activity_avg, g.pk) for g in seen]
    assert keys == sorted(keys, reverse=True)  # 5 stars before 4, then the most active, then the newest
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
    # The page's "more" link carries the cursor; a malformed cursor starts over instead of failing.
    html = _page(newcomer)
    assert 'id="find-more"' in html and "after=" in html
    assert selectors.group_directory(cursor="not:a:cursor", limit=5).groups == seen[:5]


def test_the_page_limit_is_bounded(owner):
    for i in range(3):
        _group(owner, f"群{i}")
    assert len(selectors.group_directory(limit=10**9).groups) == 3
    assert len(selectors.group_directory(limit=-5).groups) == 1
