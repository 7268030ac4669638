"""Batch isolation (issue 13 item 3): a message refused by validation, a hook or the database fails only its own send.

The socket test runs three real clients concurrently through the real consumer and batcher on PostgreSQL: one of them
sends bodies and client_ids the database would refuse, and the other two must get every ack, with every message stored
once and ``seq`` contiguous.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from groupchat.core.errors import ApplicationError
from groupchat.core.hooks import register_hook
from groupchat.core.models import LogEntry
from groups import services
from groups.models import Message
from groups.screening import SCREEN_HOOK, Verdict
from groups.services.messages import SendRequest, SendResult, message_send_many
from tests.factories import ORIGIN, UserFactory, make_group

from .test_consumers import _user, connected

POISON = ["空\x00字符", "孤\ud800代理", "\udfff"]


@pytest.fixture
def trio(db):
    owner = UserFactory()
    group = make_group(owner)
    users = [UserFactory() for _ in range(3)]
    for user in users:
        services.group_join(user=user, group=group, origin=ORIGIN)
    return group, users


@pytest.mark.django_db
def test_a_body_or_client_id_the_database_cannot_store_is_a_bad_frame_and_the_rest_of_the_batch_is_stored(trio):
    group, (a, b, c) = trio
    requests = [
        SendRequest(a, group.code, "第一条", "a-1", ORIGIN),
        SendRequest(b, group.code, "空\x00字符", "b-1", ORIGIN),
        SendRequest(b, group.code, "好的", "b\x00-2", ORIGIN),
        SendRequest(c, group.code, "孤\ud800代理", "c-1", ORIGIN),
        SendRequest(c, group.code, "好的", "c-\udc00", ORIGIN),
        SendRequest(a, group.code, "第二条", "a-2", ORIGIN),
    ]
    outcomes = message_send_many(requests=requests)
    assert [o.code if isinstance(o, ApplicationError) else "ok" for o in outcomes] == [
        "ok", "bad_frame", "bad_frame", "bad_frame", "bad_frame", "ok"]
    assert [o.message.seq for o in (outcomes[0], outcomes[5])] == [1, 2]
    assert list(Message.objects.filter(group=group).order_by("seq").values_list("client_id", flat=True)) == [
        "a-1", "a-2"]


@pytest.mark.django_db
def test_a_statement_the_database_refuses_fails_only_the_message_it_refused(trio, monkeypatch, caplog):
    """Past validation (a value only the database knows it cannot take): the batch's statement fails, each message
    is then stored alone, and only the refused one fails, with its own code."""
    import re

    from groups.services import messages

    group, (a, b, c) = trio
    monkeypatch.setattr(messages, "_UNSTORABLE", re.compile("(?!x)x"))  # validation lets U+0000 through
    outcomes = message_send_many(requests=[
        SendRequest(a, group.code, "前", "a-1", ORIGIN),
        SendRequest(b, group.code, "毒\x00", "b-1", ORIGIN),
        SendRequest(c, group.code, "后", "c-1", ORIGIN),
    ])
    assert isinstance(outcomes[0], SendResult) and isinstance(outcomes[2], SendResult)
    assert isinstance(outcomes[1], ApplicationError) and outcomes[1].code == "bad_frame"
    assert sorted(Message.objects.filter(group=group).values_list("seq", flat=True)) == [1, 2]
    assert LogEntry.objects.filter(kind="message.sent", group_code=group.code).count() == 2


@pytest.mark.django_db
def test_a_screening_refusal_fails_only_its_message(trio, monkeypatch):
    from collections import defaultdict

    group, (a, b, c) = trio
    monkeypatch.setattr("groupchat.core.hooks._HOOKS", defaultdict(list))

    def screen(*, items):
        return [Verdict("refuse", error=ApplicationError("bad_frame", params={"reason": "screened"}))
                if item.body == "坏" else Verdict("pass") for item in items]

    register_hook(SCREEN_HOOK, screen)
    outcomes = message_send_many(requests=[SendRequest(u, group.code, body, f"s-{i}", ORIGIN)
                                           for i, (u, body) in enumerate([(a, "好"), (b, "坏"), (c, "好")])])
    assert [type(o).__name__ for o in outcomes] == ["SendResult", "ApplicationError", "SendResult"]
    assert [o.message.seq for o in outcomes if isinstance(o, SendResult)] == [1, 2]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_three_senders_share_batches_with_one_sending_poison_and_the_other_two_get_every_ack():
    owner = await sync_to_async(UserFactory)()
    group = await sync_to_async(make_group)(owner)
    code = group.code
    users = []
    for _ in range(3):
        user, token = await sync_to_async(_user)()
        await sync_to_async(services.group_join)(user=user, group=group, origin=ORIGIN)
        users.append((user, token))
    rounds = 12

    async def sender(token: str, poison: bool) -> dict[str, dict]:
        answers: dict[str, dict] = {}
        async with connected(token) as comm:
            for i in range(rounds):
                bad = poison and i % 2 == 0
                client_id = f"p{i}\x00" if bad and i % 4 == 0 else f"{token[:6]}-{i}"
                body = POISON[i % len(POISON)] if bad else f"第{i}条"
                # json.dumps escapes U+0000 and lone surrogates (\u0000, \ud800): valid JSON text either way
                text = json.dumps({"type": "send", "group": code, "client_id": client_id, "body": body})
                await comm.send_to(text_data=text)
            while len(answers) < rounds:
                frame = await comm.receive_json_from(timeout=10)
                if frame["type"] in ("ack", "error"):
                    answers[f"{len(answers)}"] = frame
        return answers

    results = await asyncio.gather(*(sender(token, poison=(n == 0)) for n, (_, token) in enumerate(users)))
    poisoned, clean = results[0], results[1:]
    for answers in clean:
        assert [a["type"] for a in answers.values()] == ["ack"] * rounds, answers
    assert {a.get("code") for a in poisoned.values() if a["type"] == "error"} == {"bad_frame"}
    acked_poisoner = [a for a in poisoned.values() if a["type"] == "ack"]
    assert len(acked_poisoner) == rounds // 2

    rows = await sync_to_async(lambda: list(Message.objects.filter(group_id=group.pk).order_by("seq")
                                             .values_list("seq", "sender_id", "client_id")))()
    assert [seq for seq, *_ in rows] == list(range(1, len(rows) + 1))  # contiguous
    assert len(rows) == 2 * rounds + rounds // 2
    assert len({(s, c) for _, s, c in rows}) == len(rows)  # each stored once
    acked = {(a["message"]["sender"]["id"], a["client_id"]) for answers in results for a in answers.values()
             if a["type"] == "ack"}
    assert acked == {(s, c) for _, s, c in rows}
