"""A history page as the API answers it, shared by the DRF view and the token fast path (``history_fast_path``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from groupchat.core.errors import ApplicationError

from .models import Group
from .payloads import page_payload
from .selectors import message_page


def history_params(query: Mapping[str, str]) -> tuple[int | None, int | None, int]:
    """``before``, ``after`` and ``limit`` from the query string; ``bad_request`` when one is not an integer."""
    try:
        before = int(query["before"]) if "before" in query else None
        after = int(query["after"]) if "after" in query else None
        limit = int(query.get("limit", 50))
    except ValueError as exc:
        raise ApplicationError("bad_request") from exc
    return before, after, limit


def history_body(*, group: Group, before: int | None, after: int | None, limit: int) -> dict[str, Any]:
    """``{results, last_seq, has_more}`` for a member of ``group`` (needs only its id, code and last_seq)."""
    rows = message_page(group=group, before=before, after=after, limit=limit)
    results = page_payload(rows, group_code=group.code)
    has_more = bool(results) and (results[0]["seq"] > 1 if after is None else results[-1]["seq"] < group.last_seq)
    return {"results": results, "last_seq": group.last_seq, "has_more": has_more}
