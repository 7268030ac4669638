"""The reported person never learns who reported them: on no page, API or socket frame they can reach.

Two reporters: a member of the group who reports the offender's message (their ticket and words must appear
nowhere the offender can look), and an outsider who reports the offender from the profile page and the group
from its info page (their name must appear nowhere at all). Then every GET route of the project is walked as the
offender, and every frame sent to the offender's sockets is read.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from complaints import services
from tests.factories import UserFactory

from .conftest import CREDIT_DOWN

pytestmark = pytest.mark.django_db

SECRET_TEXT = "举报说明-只给审核员看"


def _routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _fill(route: str, values: dict[str, str]) -> str | None:
    route = route.lstrip("^").rstrip("$")
    if "(?P" in route or "\\" in route:  # regex routes (admin internals, static): not reachable by a plain user
        return None
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), route)


@pytest.mark.clause("G12")
def test_no_page_api_or_frame_the_reported_user_can_reach_names_the_reporter(chat, moderator, notices, client,
                                                                             django_capture_on_commit_callbacks):
    offender, member_reporter, group = chat["offender"], chat["reporter"], chat["group"]
    outsider = UserFactory(username="whistle_z9", nickname="匿名举报者Z9")
    with django_capture_on_commit_callbacks(execute=True):
        on_message = services.complaint_file(reporter=member_reporter, target=f"message:{chat['messages'][1].pk}",
                                             category="PLT-FRAUD", text=SECRET_TEXT)
        on_user = services.complaint_file(reporter=outsider, target=f"user:{offender.pk}", category="PLT-BULLY",
                                          text=SECRET_TEXT)
        on_group = services.complaint_file(reporter=outsider, target=f"group:{group.code}", category="PLT-GAMBLING")
        for complaint in (on_message, on_user):
            services.case_decide(case=complaint.case, moderator=moderator, outcome="violation", reason="属实", measures=CREDIT_DOWN)
    numbers = [on_message.number, on_user.number, on_group.number]
    forbidden = [outsider.username, outsider.nickname, SECRET_TEXT, *numbers]

    client.force_login(offender)
    values = {"code": group.code, "user_id": str(offender.pk), "pk": str(offender.pk),
              "message_id": str(chat["messages"][1].pk), "number": on_message.number, "token": "x",
              "request_id": "1", "application_id": "1", "path": "x"}
    checked = 0
    for route in sorted(set(_routes(get_resolver().url_patterns))):
        url = _fill(route, values)
        if url is None:
            continue
        queries = [""]
        if url.startswith("/report/"):  # the form shows what is reported: never by whom
            queries += [f"?target=user:{offender.pk}", f"?target=message:{chat['messages'][1].pk}"]
        for query in queries:
            response = client.get(url + query, follow=True)
            body = response.content.decode(errors="replace")
            leaked = [word for word in forbidden if word in body]
            assert not leaked, f"{url}{query} shows {leaked}"
            checked += 1
    assert checked > 50  # the walk really covered the project's routes (pages, API, admin, complaints)

    # The reporters' own views are theirs alone.
    api = client.get("/api/v1/complaints/")
    assert api.status_code == 200 and api.json() == []
    assert client.get(f"/api/v1/complaints/{on_message.number}/").json()["code"] == "complaint_not_found"
    assert client.get(f"/reports/{on_user.number}/").status_code == 404

    # Socket frames: what reached the offender's sockets names no reporter and no ticket.
    frames = [str(event) for names, event in notices if f"user.{offender.pk}" in names]
    assert not [f for f in frames if any(word in f for word in [*forbidden, member_reporter.nickname])]
    # ... while the reporters did get their notices.
    assert any(on_message.number in str(event) for names, event in notices if f"user.{member_reporter.pk}" in names)
