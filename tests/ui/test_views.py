"""The page views without a browser: public info page, redirects, the JS catalogue, the log-in page's ``next``."""

from __future__ import annotations

import json

import pytest

from tests.factories import PASSWORD, UserFactory, make_group

pytestmark = pytest.mark.django_db


@pytest.mark.clause("G8b")
def test_info_page_is_public_and_unknown_codes_are_404(client):
    owner = UserFactory(nickname="公开群主")
    group = make_group(owner, name="公开的群", rules="不许刷屏")
    response = client.get(f"/g/{group.code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert group.code in html and "公开的群" in html and "不许刷屏" in html and "群主" in html
    assert f"/report/?target=group:{group.code}" in html
    assert client.get("/g/1234567890/").status_code == 404


def test_pages_that_need_an_account_redirect_to_log_in(client):
    for path in ("/find/", "/new/", "/invite/abc/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_home_page_is_a_public_landing_page_with_a_group_code_look_up(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/login/"' in html and 'href="/signup/"' in html and 'action="/find/code/"' in html
    response = client.get("/find/code/?code=1234567897")
    assert response.status_code == 302 and response["Location"] == "/g/1234567897/"


def test_report_placeholder_is_public_and_points_to_12377(client):
    html = client.get("/report/?target=user:7").content.decode()
    assert "https://www.12377.cn" in html and "一名用户" in html


def _has_deleted_placeholder_in_chinese(client) -> bool:
    text = client.get("/jsi18n/").content.decode()
    zh = "此消息已被删除"
    return zh in text or json.dumps(zh)[1:-1] in text  # the catalogue may escape non-ASCII


def test_javascript_catalogue_is_chinese_by_default_and_english_on_request(client):
    assert _has_deleted_placeholder_in_chinese(client)
    client.force_login(UserFactory(language="en"))
    assert not _has_deleted_placeholder_in_chinese(client)
    assert '<html lang="en">' in client.get("/").content.decode()


def test_login_page_follows_next_only_on_this_site(client):
    user = UserFactory()
    response = client.post("/login/?next=https://evil.example/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    client.logout()
    response = client.post("/login/?next=/find/", {"username": user.username, "password": PASSWORD})
    assert response["Location"] == "/find/"


def test_pages_are_chinese_by_default_even_for_an_english_browser(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in html and "登录" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/").content.decode()  # the switch decides
