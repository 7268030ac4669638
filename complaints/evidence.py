"""Evidence snapshots: what a report is about, frozen at report time with a SHA-256 over its canonical JSON.

The snapshot copies the text, sender, group, time and seq of the reported message and of the messages around it
(and of any further messages the reporter chose), so recalling or removing a message later changes nothing here.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from groups.models import Group, Message

from .conf import conf


def canonical(snapshot: dict[str, Any]) -> bytes:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def digest(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(snapshot)).hexdigest()


def message_entry(message: Message, *, role: str) -> dict[str, Any]:
    return {
        "id": message.pk, "seq": message.seq, "group": message.group.code if message.group_id else "",
        "sender_id": message.sender_id, "sender_nickname": message.sender.nickname, "kind": message.kind,
        "body": message.body, "created_at": message.created_at.isoformat(),
        "removed": message.removed_at is not None, "role": role,
    }


def messages_around(message: Message) -> list[Message]:
    """The reported message with up to ``EVIDENCE_CONTEXT`` messages either side, in seq order."""
    n = conf("EVIDENCE_CONTEXT")
    rows = (Message.objects.select_related("sender", "group")
            .filter(group_id=message.group_id, seq__gte=message.seq - n, seq__lte=message.seq + n)
            .order_by("seq"))
    return list(rows)


def group_entry(group: Group) -> dict[str, Any]:
    return {"code": group.code, "name": group.name, "announcement": group.announcement, "rules": group.rules,
            "owner_id": group.owner_id, "member_count": group.member_count, "status": group.status}


def user_entry(user) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username, "nickname": user.nickname,
            "verification_level": user.verification_level}


def snapshot_for(*, target_kind: str, message: Message | None, user, group: Group | None,
                 chosen: list[Message], include_recent: list[Message] | None = None) -> dict[str, Any]:
    """The snapshot dictionary for a report (not yet hashed)."""
    messages: list[dict[str, Any]] = []
    seen: set[int] = set()
    if message is not None:
        for m in messages_around(message):
            messages.append(message_entry(m, role="reported" if m.pk == message.pk else "context"))
            seen.add(m.pk)
    for m in list(chosen) + list(include_recent or []):
        if m.pk not in seen:
            messages.append(message_entry(m, role="chosen" if m in chosen else "recent"))
            seen.add(m.pk)
    messages.sort(key=lambda e: (e["group"], e["seq"]))
    return {
        "version": 1,
        "target_kind": target_kind,
        "user": user_entry(user) if user is not None else None,
        "group": group_entry(group) if group is not None else None,
        "messages": messages,
    }
