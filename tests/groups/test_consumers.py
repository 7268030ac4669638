"""The chat socket (DESIGN §4) through the whole ASGI stack (origin check, token auth) on the Redis channel layer."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from groupchat.asgi import application
from groupchat.runtime.threads import database_thread, database_writer_thread
from groups import services
from groups.models import Message
from tests.factories import ORIGIN, UserFactory, make_group

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN_HEADER = [(b"origin", b"http://127.0.0.1")]
QUIET = 0.3  # how long "nothing arrives" is watched for


def _user(**kwargs):
    user = UserFactory(**kwargs)
    return user, Token.objects.create(user=user).key


@contextlib.asynccontextmanager
async def connected(token: str):
    comm = WebsocketCommunicator(application, f"/ws/?token={token}", headers=ORIGIN_HEADER)
    ok, _ = await comm.connect(timeout=5)
    assert ok
    hello = await comm.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    comm.hello = hello
    try:
        yield comm
    finally:
        await comm.disconnect()


async def next_frame(comm, type_: str, timeout: float = 5) -> dict:
    """The next frame of ``type_``, skipping others (group info refreshes, typing, ...)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await comm.receive_json_from(timeout=max(0.01, deadline - loop.time()))
        if frame["type"] == type_:
            return frame


async def next_messages(comm, count: int, timeout: float = 5) -> list[dict]:
    """The next ``count`` messages, whether they come one per ``message`` frame or several in a ``messages`` frame."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    messages: list[dict] = []
    while len(messages) < count:
        frame = await comm.receive_json_from(timeout=max(0.01, deadline - loop.time()))
        if frame["type"] == "message":
            messages.append(frame["message"])
        elif frame["type"] == "messages":
            messages.extend(frame["messages"])
    return messages


async def nothing_of(comm, type_: str, within: float = QUIET) -> None:
    # receive_nothing, not a receive that times out: a timed-out receive cancels the consumer.
    while not await comm.receive_nothing(timeout=within):
        frame = await comm.receive_json_from(timeout=1)
        assert frame["type"] != type_, frame


@pytest.fixture
def w(db):
    """An open group with an owner (o) and a member (a); b is not a member."""
    owner, owner_token = _user(nickname="群主")
    alice, alice_token = _user(nickname="Alice")
    bob, bob_token = _user(nickname="Bob")
    group = make_group(owner)
    services.group_join(user=alice, group=group, origin=ORIGIN)
    return {"group": group, "owner": owner, "alice": alice, "bob": bob, "o": owner_token, "a": alice_token,
            "b": bob_token}


async def test_anonymous_socket_is_closed_with_4401():
    comm = WebsocketCommunicator(application, "/ws/?token=nope", headers=ORIGIN_HEADER)
    ok, _ = await comm.connect(timeout=5)
    assert ok
    closed = await comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}
    await comm.disconnect()


async def test_hello_lists_my_groups(w):
    async with connected(w["a"]) as alice:
        assert alice.hello["user"] == {"id": w["alice"].pk, "nickname": "Alice"}
        assert alice.hello["groups"] == [w["group"].code]
    async with connected(w["b"]) as bob:
        assert bob.hello["groups"] == []


async def test_send_is_acked_with_its_seq_and_reaches_other_members(w):
    code = w["group"].code
    async with connected(w["o"]) as owner, connected(w["a"]) as alice:
        await alice.send_json_to({"type": "send", "group": code, "client_id": "c1", "body": "你好"})
        ack = await next_frame(alice, "ack")
        assert ack["client_id"] == "c1" and ack["duplicate"] is False
        message = ack["message"]
        assert message["seq"] == 1 and message["body"] == "你好" and message["group"] == code
        assert message["sender"] == {"id": w["alice"].pk, "nickname": "Alice", "role": "member"}
        received = await next_frame(owner, "message")
        assert received == {"type": "message", "group": code, "message": message}


async def test_message_frames_are_written_from_the_layer_while_the_socket_is_open(w):
    """Each open socket has a direct receiver in the layer (one decode per group message, no task per frame); it
    goes with the socket."""
    from channels.layers import get_channel_layer

    direct = get_channel_layer()._get_layer().direct
    before = len(direct)
    async with connected(w["o"]) as owner, connected(w["a"]) as alice:
        assert len(direct) == before + 2
        await alice.send_json_to({"type": "send", "group": w["group"].code, "client_id": "d1", "body": "直达"})
        assert (await next_frame(owner, "message"))["message"]["body"] == "直达"
    assert len(direct) == before


async def test_retry_returns_the_same_message_marked_duplicate(w):
    code = w["group"].code
    async with connected(w["o"]) as owner, connected(w["a"]) as alice:
        frame = {"type": "send", "group": code, "client_id": "same", "body": "一次"}
        await alice.send_json_to(frame)
        first = await next_frame(alice, "ack")
        await alice.send_json_to(frame)
        again = await next_frame(alice, "ack")
        assert again["duplicate"] is True and again["message"] == first["message"]
        assert (await next_frame(owner, "message"))["message"]["id"] == first["message"]["id"]
        await nothing_of(owner, "message")
    assert await sync_to_async(Message.objects.filter(group=w["group"]).count)() == 1


async def test_resume_replays_from_the_cursor_then_says_resumed(w):
    group = w["group"]
    for i in range(1, 6):
        await sync_to_async(services.message_send)(sender=w["owner"], group_code=group.code, body=f"m{i}",
                                                   client_id=f"r{i}", origin=ORIGIN)
    async with connected(w["a"]) as alice:
        await alice.send_json_to({"type": "resume", "cursors": {group.code: 2}})
        frames = [await alice.receive_json_from(timeout=5) for _ in range(2)]
    # One page is one frame.
    assert (frames[0]["type"], frames[0]["group"], frames[0]["replay"]) == ("messages", group.code, True)
    assert [m["seq"] for m in frames[0]["messages"]] == [3, 4, 5]
    assert [m["body"] for m in frames[0]["messages"]] == ["m3", "m4", "m5"]
    assert frames[1] == {"type": "resumed", "group": group.code, "last_seq": 5}


async def test_resume_in_batches(w, settings):
    settings.GROUPCHAT = {**settings.GROUPCHAT, "RESUME_BATCH": 2}
    group = w["group"]
    for i in range(1, 6):
        await sync_to_async(services.message_send)(sender=w["owner"], group_code=group.code, body=f"m{i}",
                                                   client_id=f"b{i}", origin=ORIGIN)
    async with connected(w["a"]) as alice:
        await alice.send_json_to({"type": "resume", "cursors": {group.code: 0}})
        frames = [await alice.receive_json_from(timeout=5) for _ in range(4)]
    # Pages of 2, 2 and 1: two `messages` frames and a `message` frame, then `resumed`.
    assert [f["type"] for f in frames] == ["messages", "messages", "message", "resumed"]
    assert [[m["seq"] for m in f["messages"]] for f in frames[:2]] == [[1, 2], [3, 4]]
    assert frames[2]["message"]["seq"] == 5 and frames[2]["replay"] is True
    assert frames[3]["last_seq"] == 5


async def test_resume_by_a_non_member_is_refused(w):
    code = w["group"].code
    async with connected(w["b"]) as bob:
        await bob.send_json_to({"type": "resume", "cursors": {code: 0}})
        error = await bob.receive_json_from(timeout=5)
        assert error["type"] == "error" and error["code"] == "not_member" and error["group"] == code
        assert error["detail"]
        await nothing_of(bob, "message")


MALFORMED = [
    ("{not json", "not JSON"),
    ("[1, 2]", "JSON object"),
    ('{"type": "fly"}', "unknown type"),
    ('{"type": "send", "group": 12, "client_id": "x", "body": "hi"}', "group"),
    ('{"type": "resume", "cursors": [1]}', "cursors"),
    ('{"type": "resume", "cursors": {"1234567897": -1}}', "cursor"),
    ('{"type": "read", "group": "1234567897"}', "read needs"),
]


async def test_malformed_frames_get_bad_frame_and_the_socket_stays_usable(w):
    # One socket for all cases: every transactional test costs a database flush.
    async with connected(w["a"]) as alice:
        for raw, reason in MALFORMED:
            await alice.send_to(text_data=raw)
            error = await alice.receive_json_from(timeout=5)
            assert error["type"] == "error" and error["code"] == "bad_frame" and reason in error["detail"], raw
            await alice.send_json_to({"type": "ping"})
            assert (await alice.receive_json_from(timeout=5))["type"] == "pong"


async def test_refusals_come_back_as_errors_with_the_client_id_in_the_users_language(w):
    await sync_to_async(services.member_mute)(actor=w["owner"], group=w["group"], target=w["alice"], minutes=10,
                                              origin=ORIGIN)
    w["alice"].language = "en"
    await sync_to_async(w["alice"].save)(update_fields=["language"])
    async with connected(w["a"]) as alice:
        await alice.send_json_to({"type": "send", "group": w["group"].code, "client_id": "m1", "body": "hi"})
        error = await next_frame(alice, "error")
        assert error["code"] == "muted" and error["client_id"] == "m1" and error["group"] == w["group"].code
        assert error["detail"].startswith("You are muted") and error["until"]


async def test_joining_while_connected_subscribes_live(w):
    code = w["group"].code
    async with connected(w["b"]) as bob, connected(w["o"]) as owner:
        assert bob.hello["groups"] == []
        await sync_to_async(services.group_join)(user=w["bob"], group=w["group"], origin=ORIGIN)
        membership = await next_frame(bob, "membership")
        assert membership["group"] == code and membership["role"] == "member"
        await owner.send_json_to({"type": "send", "group": code, "client_id": "welcome", "body": "欢迎"})
        received = await next_frame(bob, "message")
        assert received["message"]["body"] == "欢迎"


async def test_a_removed_member_stops_receiving(w):
    code = w["group"].code
    async with connected(w["a"]) as alice, connected(w["o"]) as owner:
        await sync_to_async(services.member_remove)(actor=w["owner"], group=w["group"], target=w["alice"],
                                                    origin=ORIGIN)
        membership = await next_frame(alice, "membership")
        assert membership["removed"] is True and membership["reason"] == "removed" and membership["role"] is None
        await owner.send_json_to({"type": "send", "group": code, "client_id": "after", "body": "你看不到"})
        await next_frame(owner, "ack")
        await nothing_of(alice, "message")
        await alice.send_json_to({"type": "send", "group": code, "client_id": "x", "body": "hi"})
        assert (await next_frame(alice, "error"))["code"] == "not_member"


async def test_message_removed_reaches_members(w):
    code = w["group"].code
    async with connected(w["a"]) as alice, connected(w["o"]) as owner:
        await alice.send_json_to({"type": "send", "group": code, "client_id": "oops", "body": "发错了"})
        ack = await next_frame(alice, "ack")
        await next_frame(owner, "message")
        await sync_to_async(services.message_remove)(actor=w["owner"], group=w["group"],
                                                     message_id=ack["message"]["id"], reason="违规", origin=ORIGIN)
        for comm in (alice, owner):
            frame = await next_frame(comm, "message_removed")
            assert frame == {"type": "message_removed", "group": code, "message_id": ack["message"]["id"],
                             "seq": ack["message"]["seq"], "reason": "违规"}
        # A resume shows the hole without the text.
        await alice.send_json_to({"type": "resume", "cursors": {code: 0}})
        replay = await next_frame(alice, "message")
        assert replay["message"]["removed"] is True and replay["message"]["body"] == ""


async def test_whole_group_mute_reaches_members_live(w):
    async with connected(w["a"]) as alice:
        await sync_to_async(services.group_mute_all)(actor=w["owner"], group=w["group"], muted=True, origin=ORIGIN)
        frame = await next_frame(alice, "group_status")
        assert frame["group"] == w["group"].code and frame["all_muted"] is True and frame["status"] == "open"


async def test_the_same_frame_twice_back_to_back_stores_one_message(w):
    code = w["group"].code
    async with connected(w["a"]) as alice:
        frame = {"type": "send", "group": code, "client_id": "twice", "body": "一次"}
        await alice.send_json_to(frame)
        await alice.send_json_to(frame)  # without waiting for the ack: both may be handled together
        acks = [await next_frame(alice, "ack"), await next_frame(alice, "ack")]
    assert acks[0]["message"]["id"] == acks[1]["message"]["id"] and acks[0]["message"]["seq"] == 1
    assert sorted(a["duplicate"] for a in acks) == [False, True]
    assert await sync_to_async(Message.objects.filter(group=w["group"]).count)() == 1


async def test_a_refused_frame_does_not_hold_up_the_others(w, settings):
    settings.GROUPCHAT = {**settings.GROUPCHAT, "MESSAGE_MAX_CHARS": 5}
    code = w["group"].code
    async with connected(w["a"]) as alice, connected(w["o"]) as owner:
        for client_id, body in (("ok1", "一"), ("long", "长" * 6), ("ok2", "二"), ("empty", " ")):
            await alice.send_json_to({"type": "send", "group": code, "client_id": client_id, "body": body})
        frames = {}
        while len(frames) < 4:
            frame = await alice.receive_json_from(timeout=5)
            if frame["type"] in ("ack", "error"):
                frames[frame["client_id"]] = frame
        received = await next_messages(owner, 2)
    assert frames["long"]["type"] == "error" and frames["long"]["code"] == "too_long"
    assert frames["empty"]["type"] == "error" and frames["empty"]["code"] == "empty"
    assert [frames["ok1"]["message"]["seq"], frames["ok2"]["message"]["seq"]] == [1, 2]
    assert [(m["seq"], m["body"]) for m in received] == [(1, "一"), (2, "二")]


async def test_messages_stored_in_one_batch_reach_each_member_as_one_frame(w):
    """Write-then-tell in batches: what one commit stored in a group goes out as one `messages` frame, in seq order."""
    from groups.services.messages import SendRequest, message_send_many

    code = w["group"].code
    requests = [SendRequest(w["alice"], code, f"批{i}", f"batch-{i}", ORIGIN) for i in range(3)]
    async with connected(w["o"]) as owner:
        outcomes = await sync_to_async(message_send_many)(requests=requests)
        frame = await next_frame(owner, "messages")
        await nothing_of(owner, "message")
    assert [o.message.seq for o in outcomes] == [1, 2, 3]
    assert frame["group"] == code and "replay" not in frame
    assert [(m["seq"], m["body"], m["client_id"]) for m in frame["messages"]] == [
        (1, "批0", "batch-0"), (2, "批1", "batch-1"), (3, "批2", "batch-2")]


async def test_batches_checked_while_others_commit_keep_arrival_order_and_contiguous_seqs(w):
    """The batcher checks one batch while the one before it commits (two threads); what members receive is still
    every message once, in seq order, with no gap, and each sender's messages in the order it sent them."""
    code = w["group"].code
    per_sender = 8  # within the default send rate (20 per 10 s) and the default grade's
    async with connected(w["a"]) as alice, connected(w["o"]) as owner:
        for i in range(per_sender):  # no waiting for acks: the frames land in many batches, back to back
            await alice.send_json_to({"type": "send", "group": code, "client_id": f"a{i}", "body": f"a{i}"})
            await owner.send_json_to({"type": "send", "group": code, "client_id": f"o{i}", "body": f"o{i}"})
        received = await next_messages(owner, 2 * per_sender, timeout=10)
    assert [m["seq"] for m in received] == list(range(1, 2 * per_sender + 1))
    for prefix in ("a", "o"):
        assert [m["body"] for m in received if m["body"].startswith(prefix)] == [f"{prefix}{i}" for i in
                                                                                range(per_sender)]


async def test_a_send_batch_survives_a_dropped_database_connection(w, settings):
    """The batcher keeps its connection between batches; one that the database dropped is replaced and the batch
    retried, so the sender still gets its ack (and the message is stored once)."""
    from django.db import connection

    code = w["group"].code
    settings.GROUPCHAT = {**settings.GROUPCHAT, "DB_THREAD_KEEPS_CONNECTION": True}  # as in production
    try:
        async with connected(w["a"]) as alice:
            await alice.send_json_to({"type": "send", "group": code, "client_id": "before", "body": "一"})
            assert (await next_frame(alice, "ack"))["message"]["seq"] == 1

            def backend_pid() -> int:  # on the calling thread's connection
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    return cursor.fetchone()[0]

            def terminate(pid: int) -> bool:  # from another thread, on its own connection
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                        return cursor.fetchone()[0]
                finally:
                    connection.close()

            # Both of the batcher's threads: it checks on the database thread and stores on the writer thread.
            pids = [await database_thread(backend_pid)(), await database_writer_thread(backend_pid)()]
            for pid in pids:
                assert await sync_to_async(terminate, thread_sensitive=False)(pid)
            await alice.send_json_to({"type": "send", "group": code, "client_id": "after", "body": "二"})
            ack = await next_frame(alice, "ack")
    finally:
        settings.GROUPCHAT = {**settings.GROUPCHAT, "DB_THREAD_KEEPS_CONNECTION": False}
        await sync_to_async(lambda: connection.close())()
        await database_writer_thread(lambda: None)()  # closes the writer's kept connection too
    assert ack["message"]["seq"] == 2 and ack["duplicate"] is False
    assert await sync_to_async(Message.objects.filter(group=w["group"]).count)() == 2
