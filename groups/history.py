"""A history page as the API answers it: the DRF view, and the same page for token clients without Django's request
stack (``history_token_answer``, which the runtime's lean GET path calls; see docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from groupchat.core.errors import ApplicationError
from groupchat.core.renderers import api_json

from .models import Group
from .payloads import page_payload
from .selectors import message_page
from .sql import token_member_group

# A seq is a PostgreSQL bigint: a larger number would make the query fail (500) instead of being refused (400).
SEQ_MAX = 2**63 - 1
LIMIT_MAX = 500  # message_page's own cap

# The query parameters as the OpenAPI schema shows them, bounds included (drf-spectacular takes a raw schema).
HISTORY_PARAMETERS = {
    "before": {"type": "integer", "format": "int64", "minimum": 0, "maximum": SEQ_MAX},
    "after": {"type": "integer", "format": "int64", "minimum": 0, "maximum": SEQ_MAX},
    "limit": {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": 50},
}


def _bounded(query: Mapping[str, str], name: str, default: int | None) -> int | None:
    if name not in query:
        return default
    try:
        value = int(query[name])
    except ValueError as exc:
        raise ApplicationError("bad_request") from exc
    schema = HISTORY_PARAMETERS[name]
    if not schema["minimum"] <= value <= schema["maximum"]:
        raise ApplicationError("bad_request")
    return value


def history_params(query: Mapping[str, str]) -> tuple[int | None, int | None, int]:
    """``before``, ``after`` and ``limit`` from the query string; ``bad_request`` when one is not an integer or is
    out of its range (HISTORY_PARAMETERS)."""
    limit = _bounded(query, "limit", 50)
    assert limit is not None
    return _bounded(query, "before", None), _bounded(query, "after", None), limit


def history_body(*, group: Group, before: int | None, after: int | None, limit: int) -> dict[str, Any]:
    """``{results, last_seq, has_more}`` for a member of ``group`` (needs only its id, code and last_seq)."""
    rows = message_page(group=group, before=before, after=after, limit=limit)
    results = page_payload(rows, group_code=group.code)
    has_more = bool(results) and (results[0]["seq"] > 1 if after is None else results[-1]["seq"] < group.last_seq)
    return {"results": results, "last_seq": group.last_seq, "has_more": has_more}


# The path the lean GET answers (groups.sql.token_member_group holds the API view's checks in one statement).
HISTORY_PATH = r"^/api/v1/groups/(?P<code>[0-9]{10})/messages/$"


def _token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of a JSON-accepting token client, else None (DRF's browsable API answers ``text/html``)."""
    token = None
    for name, value in headers:
        if name == b"authorization":
            parts = value.split()
            if len(parts) != 2 or parts[0] != b"Token":
                return None
            token = parts[1].decode("latin-1")
        elif name == b"accept" and b"json" not in value and b"*/*" not in value:
            return None
    return token


def history_token_answer(*, code: str, headers: list[tuple[bytes, bytes]], query_string: bytes) -> bytes | None:
    """The JSON body of a history page for a token client that the API view would answer with 200, else None.

    None hands the request to Django, which gives the usual answer (a refusal with its code in the user's language,
    a session client, a malformed parameter): there is one definition of every refusal, and this cannot loosen one.
    One statement for the token, its active user, the membership and the group, then the API view's page and JSON."""
    token = _token(headers)
    if token is None:
        return None
    try:
        before, after, limit = history_params(dict(parse_qsl(query_string.decode("latin-1"))))
    except ApplicationError:
        return None
    group = token_member_group(token=token, code=code)
    if group is None:
        return None
    return api_json(history_body(group=group, before=before, after=after, limit=limit))
