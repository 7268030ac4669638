"""Frames (issue 13 item 6): any JSON value in any field of any frame gets a clear answer on the real consumer, and
the socket stays open. Hypothesis draws the frames; each is followed by a ``ping``, and everything the server says
before the ``pong`` is that frame's answer."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups import services
from tests.factories import ORIGIN, UserFactory, make_group

from .test_consumers import _user, connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

TYPES = ["send", "resume", "read", "typing", "ping"]
FIELDS = ["type", "group", "body", "client_id", "cursors", "seq"]
# Any JSON value: scalars of every kind (huge and negative integers, U+0000, lone surrogates), lists and objects.
_scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63 - 5, max_value=2**70)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
            | st.sampled_from(["\x00", "\ud800", "", "1234567897", *TYPES]))
JSON = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                           max_size=3), max_leaves=6)


def _frames(group_code: str) -> st.SearchStrategy:
    field_values = {name: JSON | st.just(group_code) if name == "group" else JSON for name in FIELDS}
    frame = st.fixed_dictionaries({"type": st.sampled_from(TYPES) | JSON},
                                  optional={k: v for k, v in field_values.items() if k != "type"})
    cursors = st.fixed_dictionaries({"type": st.just("resume"),
                                     "cursors": st.dictionaries(st.text(max_size=12) | st.just(group_code), JSON,
                                                                max_size=3)})
    return frame | cursors | JSON


def _draw(strategy: st.SearchStrategy, n: int) -> list:
    drawn: list = []

    @settings(max_examples=n, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value) -> None:
        drawn.append(value)

    collect()
    return drawn


# A clear answer: an error with one of the codes a frame can earn, never server_error; or the frame's own answer.
CLEAR_ERRORS = {"bad_frame", "group_not_found", "not_member", "empty", "too_long", "rate_limited", "muted",
                "group_muted", "group_suspended", "group_closed", "rules_required", "content_blocked"}
ANSWERS = {"ack", "held", "resumed", "messages", "message", "typing", "group", "membership"}


async def test_any_json_in_any_field_of_any_frame_gets_a_clear_answer_and_the_socket_stays_open():
    from asgiref.sync import sync_to_async

    owner = await sync_to_async(UserFactory)()
    group = await sync_to_async(make_group)(owner)
    user, token = await sync_to_async(_user)()
    await sync_to_async(services.group_join)(user=user, group=group, origin=ORIGIN)
    frames = _draw(_frames(group.code), 250)
    async with connected(token) as comm:
        for frame in frames:
            # json.dumps escapes what is not text (U+0000, lone surrogates) and accepts big integers
            await comm.send_to(text_data=json.dumps(frame))
            await comm.send_to(text_data='{"type": "ping"}')
            answers = []
            pongs = 2 if _is_ping(frame) else 1
            while pongs:
                out = await comm.receive_output(timeout=5)
                assert out["type"] == "websocket.send", (frame, out)  # never a close
                answer = json.loads(out["text"])
                if answer["type"] == "pong":
                    pongs -= 1
                else:
                    answers.append(answer)
            for answer in answers:
                if answer["type"] == "error":
                    assert answer["code"] in CLEAR_ERRORS, (frame, answer)
                else:
                    assert answer["type"] in ANSWERS, (frame, answer)
            if not isinstance(frame, dict) or not isinstance(frame.get("type"), str) or frame["type"] not in TYPES:
                assert [a.get("code") for a in answers] == ["bad_frame"], (frame, answers)


def _is_ping(frame) -> bool:
    return isinstance(frame, dict) and frame.get("type") == "ping"
