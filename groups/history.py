"""A history page as the API answers it (the DRF view; every HTTP request goes through Django's whole stack)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from groupchat.core.errors import ApplicationError

from .models import Group
from .payloads import page_payload
from .selectors import message_page

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
