"""The wire shapes shared by the socket and the HTTP API (DESIGN §4), built once per message."""

from __future__ import annotations

from typing import Any

from .models import Group, Membership, Message
from .selectors import MessageRow


def message_payload(message: Message | MessageRow, *, group_code: str, role: str | None,
                    sender_nickname: str) -> dict[str, Any]:
    removed = message.removed_at is not None
    return {
        "id": message.id,
        "seq": message.seq,
        "group": group_code,
        "client_id": message.client_id,
        "kind": message.kind,
        "sender": {"id": message.sender_id, "nickname": sender_nickname, "role": role or "member"},
        # A removed message keeps its place in the sequence (so clients see no gap) but not its text.
        "body": "" if removed else message.body,
        "removed": removed,
        "created_at": message.created_at.isoformat(),
    }


def page_payload(rows: list[MessageRow], *, group_code: str) -> list[dict[str, Any]]:
    return [message_payload(r, group_code=group_code, role=r.sender_role, sender_nickname=r.sender_nickname)
            for r in rows]


def messages_frame(group_code: str, payloads: list[dict[str, Any]], *, replay: bool = False) -> dict[str, Any]:
    """The server frame for messages of one group in seq order: ``message`` for one, ``messages`` for several."""
    frame: dict[str, Any]
    if len(payloads) == 1:
        frame = {"type": "message", "group": group_code, "message": payloads[0]}
    else:
        frame = {"type": "messages", "group": group_code, "messages": payloads}
    if replay:
        frame["replay"] = True
    return frame


def group_payload(group: Group) -> dict[str, Any]:
    return {
        "code": group.code,
        "name": group.name,
        "category": group.category,
        "announcement": group.announcement,
        "rules": group.rules,
        "status": group.status,
        "status_until": group.status_until.isoformat() if group.status_until else None,
        "all_muted": group.all_muted,
        "join_mode": group.join_mode,
        "join_question": group.join_question,
        "is_public": group.is_public,
        "member_count": group.member_count,
        "tier": group.tier.slug if group.tier_id else None,
        "tier_name": {"zh": group.tier.name_zh, "en": group.tier.name_en} if group.tier_id else None,
        "activity_band": group.activity_band,
        "member_cap": group.member_cap,
        "owner": {"id": group.owner_id, "nickname": group.owner.nickname},
        "last_seq": group.last_seq,
        "created_at": group.created_at.isoformat(),
    }


def member_payload(m: Membership) -> dict[str, Any]:
    return {
        "user": {"id": m.user_id, "nickname": m.user.nickname},
        "role": m.role,
        "joined_at": m.joined_at.isoformat(),
        "muted_until": m.muted_until.isoformat() if m.muted_until else None,
    }
