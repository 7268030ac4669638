"""A held message sent over HTTP: 202 with the held record (the same on a retry); a blocked one: 422 with the
category (G10)."""

from __future__ import annotations

import pytest

from moderation.screening import reload
from moderation.screening.rules import rule_create
from tests.factories import add_member, make_group

from . import screening_fixtures

_fresh_screening_state = screening_fixtures._fresh_screening_state

pytestmark = pytest.mark.django_db(transaction=True)  # the blocked attempt's evidence commits on its own


@pytest.mark.clause("G10")
def test_http_send_of_a_held_message_answers_202_with_the_held_record(api, owner, alice):
    group = make_group(owner, name="读书会")
    add_member(group, alice)
    rule_create(actor=None, keyword="网上赌场", category="PLT-GAMBLING", action="hold")
    rule_create(actor=None, keyword="刷单返利", category="PLT-FRAUD", action="block")
    reload.invalidate()
    url = f"/api/v1/groups/{group.code}/messages/"
    response = api(alice).post(url, {"body": "网上赌场", "client_id": "h1"}, format="json")
    assert response.status_code == 202
    held = response.json()["held"]
    assert (held["client_id"], held["group"]) == ("h1", group.code) and held["held_id"]
    again = api(alice).post(url, {"body": "网上赌场", "client_id": "h1"}, format="json")
    assert again.status_code == 202 and again.json()["held"]["held_id"] == held["held_id"]
    blocked = api(alice).post(url, {"body": "刷单返利", "client_id": "h2"}, format="json")
    assert blocked.status_code == 422 and blocked.json()["code"] == "content_blocked"
    assert blocked.json()["category"] == "PLT-FRAUD"
