"""History over HTTP: keyset pages on seq (never OFFSET), oldest first within a page, members only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups import services
from tests.factories import ORIGIN, make_group

pytestmark = pytest.mark.django_db

TOTAL = 23


@pytest.fixture
def chat(owner, alice, member_of):
    group = make_group(owner)
    member_of(group, alice)
    for i in range(1, TOTAL + 1):
        sender = owner if i % 2 else alice
        services.message_send(sender=sender, group_code=group.code, body=f"第{i}条", client_id=f"h{i}", origin=ORIGIN)
    return group


def _page(client, code, **params):
    response = client.get(f"/api/v1/groups/{code}/messages/", params)
    assert response.status_code == 200, response.content
    body = response.json()
    return [m["seq"] for m in body["results"]], body["has_more"], body


def test_latest_page_then_scroll_back_with_before(chat, alice, api):
    client = api(alice)
    seqs, more, body = _page(client, chat.code, limit=10)
    assert seqs == list(range(14, 24)) and more and body["last_seq"] == TOTAL
    assert [m["body"] for m in body["results"]][:2] == ["第14条", "第15条"]
    seqs, more, _ = _page(client, chat.code, before=14, limit=10)
    assert seqs == list(range(4, 14)) and more
    seqs, more, _ = _page(client, chat.code, before=4, limit=10)
    assert seqs == [1, 2, 3] and not more
    seqs, more, _ = _page(client, chat.code, before=1, limit=10)
    assert seqs == [] and not more


def test_catch_up_forward_with_after(chat, alice, api):
    client = api(alice)
    collected, after, more = [], 0, True
    while more:
        seqs, more, _ = _page(client, chat.code, after=after, limit=7)
        collected += seqs
        after = seqs[-1] if seqs else after
    assert collected == list(range(1, TOTAL + 1))
    seqs, more, _ = _page(client, chat.code, after=TOTAL)
    assert seqs == [] and not more


def test_default_page_and_limit_bounds(chat, alice, api):
    seqs, more, _ = _page(api(alice), chat.code)
    assert seqs == list(range(1, TOTAL + 1)) and not more
    seqs, _, _ = _page(api(alice), chat.code, limit=1)
    assert seqs == [TOTAL]
    response = api(alice).get(f"/api/v1/groups/{chat.code}/messages/", {"limit": 0})  # out of 1..500: refused
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    response = api(alice).get(f"/api/v1/groups/{chat.code}/messages/", {"before": "abc"})
    assert response.status_code == 400 and response.json()["code"] == "bad_request"


def test_pages_use_a_keyset_not_offset(chat, alice, api):
    with CaptureQueriesContext(connection) as queries:
        _page(api(alice), chat.code, before=20, limit=5)
    message_queries = [q["sql"] for q in queries.captured_queries if "groups_message" in q["sql"]]
    # One statement for the page (messages, nicknames and roles), by keyset.
    assert len(message_queries) == 1 and "OFFSET" not in message_queries[0].upper()
    assert "m.seq < 20" in message_queries[0] and "LIMIT 5" in message_queries[0]


def test_non_members_are_refused(chat, bob, api):
    response = api(bob).get(f"/api/v1/groups/{chat.code}/messages/")
    assert response.status_code == 403 and response.json()["code"] == "not_member"
    assert api().get(f"/api/v1/groups/{chat.code}/messages/").status_code in (401, 403)


def test_a_removed_member_loses_access(chat, owner, alice, api):
    services.member_remove(actor=owner, group=chat, target=alice, origin=ORIGIN)
    response = api(alice).get(f"/api/v1/groups/{chat.code}/messages/")
    assert response.status_code == 403 and response.json()["code"] == "not_member"


def test_pages_are_compact_utf8_json(chat, alice, api):
    """The API's JSON (orjson) keeps Chinese as UTF-8, not \\u escapes, and is compact."""
    response = api(alice).get(f"/api/v1/groups/{chat.code}/messages/", {"limit": 1})
    assert response["Content-Type"] == "application/json"
    assert "第23条".encode() in response.content and b"\\u" not in response.content
    assert b'": ' not in response.content and response.json()["results"][0]["body"] == "第23条"


def test_a_page_shows_each_senders_nickname_and_role_and_hides_removed_text(chat, owner, alice, api):
    from groups.models import Message

    services.message_remove(actor=owner, group=chat, message_id=Message.objects.get(group=chat, seq=22).pk,
                            reason="违规", origin=ORIGIN)
    _, _, body = _page(api(alice), chat.code, limit=3)
    by_seq = {m["seq"]: m for m in body["results"]}
    assert by_seq[23]["sender"] == {"id": owner.pk, "nickname": owner.nickname, "role": "owner"}
    assert by_seq[22]["sender"] == {"id": alice.pk, "nickname": alice.nickname, "role": "member"}
    assert by_seq[22]["removed"] is True and by_seq[22]["body"] == ""
    assert by_seq[21]["body"] == "第21条" and by_seq[21]["created_at"].endswith("+00:00")
