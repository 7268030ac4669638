"""The message path (DESIGN §3): checks, one transaction for seq + message + network log, fan-out after commit.

Invariants: ``seq`` is contiguous per group (allocated by an UPDATE on the group row inside the message's transaction,
so a rollback gives the number back); a retry with the same ``(sender, client_id)`` returns the stored message and
never makes a second one; nobody is told about a message before it and its log row are committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from groupchat.core import ratelimit
from groupchat.core.broadcast import broadcast_on_commit, group_channel_group
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.hooks import run_hooks
from groupchat.core.origin import Origin

from ..models import AuditAction, Group, GroupStatus, Membership, Message, Role
from ..payloads import message_payload
from ..selectors import group_get
from ._common import group_event, require_manager

_ALLOCATE_SEQ = f"UPDATE {Group._meta.db_table} SET last_seq = last_seq + 1, last_message_at = %s WHERE id = %s RETURNING last_seq"


@dataclass(frozen=True)
class SendResult:
    message: Message
    payload: dict[str, Any]
    created: bool  # False when this was a retry of a message already stored


def _validate_frame(*, body: Any, client_id: Any) -> tuple[str, str]:
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= 64:
        raise ApplicationError("bad_frame", params={"reason": "client_id must be a string of 1-64 characters"})
    if not isinstance(body, str):
        raise ApplicationError("bad_frame", params={"reason": "body must be a string"})
    if not body.strip():
        raise ApplicationError("empty")
    limit = settings.GROUPCHAT["MESSAGE_MAX_CHARS"]
    if len(body) > limit:
        raise ApplicationError("too_long", params={"limit": limit})
    return body, client_id


def _group_status_error(group: Group) -> ApplicationError | None:
    if group.status == GroupStatus.CLOSED:
        return ApplicationError("group_closed")
    if group.status == GroupStatus.SUSPENDED and (group.status_until is None or group.status_until > timezone.now()):
        until = timezone.localtime(group.status_until).strftime("%Y-%m-%d %H:%M") if group.status_until else "—"
        return ApplicationError("group_suspended", params={"until": until}, extra={"until": until})
    return None


def send_checks(*, sender: User, group: Group, membership: Membership | None) -> None:
    """Every refusal of the send path, in the order a user would want to hear them."""
    if membership is None:
        raise ApplicationError("not_member")
    error = _group_status_error(group)
    if error is not None:
        raise error
    now = timezone.now()
    if membership.muted_until is not None and membership.muted_until > now:
        until = timezone.localtime(membership.muted_until).strftime("%Y-%m-%d %H:%M")
        raise ApplicationError("muted", params={"until": until}, extra={"until": membership.muted_until.isoformat()})
    if group.all_muted and membership.role == Role.MEMBER:
        raise ApplicationError("group_muted")
    if group.rules and membership.rules_accepted_at is None:
        raise ApplicationError("rules_required", extra={"rules": group.rules})
    run_hooks("message.check", user=sender, group=group, membership=membership)


def _existing(sender: User, client_id: str, group: Group) -> SendResult | None:
    message = Message.objects.filter(sender=sender, client_id=client_id).select_related("group").first()
    if message is None:
        return None
    if message.group_id != group.pk:
        raise ApplicationError("bad_frame", params={"reason": "client_id was already used in another group"})
    role = Membership.objects.filter(group=group, user=sender).values_list("role", flat=True).first()
    return SendResult(message, message_payload(message, group_code=group.code, role=role,
                                               sender_nickname=sender.nickname), created=False)


def message_send(*, sender: User, group_code: str, body: Any, client_id: Any, origin: Origin) -> SendResult:
    """Store a message and fan it out after commit.

    Idempotent on (sender, client_id). Side effects: network-log ``message.sent``; broadcast ``message.new`` to
    the group. Raises ApplicationError for every refusal (see ``send_checks``, ``rate_limited``, ``too_long``).
    """
    body, client_id = _validate_frame(body=body, client_id=client_id)
    group = group_get(code=group_code)
    retry = _existing(sender, client_id, group)
    if retry is not None:
        return retry
    if not ratelimit.hit(settings.GROUPCHAT["SEND_RATE"], "send", str(sender.pk)):
        raise ApplicationError("rate_limited")
    membership = Membership.objects.filter(group=group, user=sender).first()
    send_checks(sender=sender, group=group, membership=membership)
    run_hooks("message.screen", user=sender, group=group, body=body)
    now = timezone.now()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_ALLOCATE_SEQ, [now, group.pk])
                (seq,) = cursor.fetchone()
            message = Message.objects.create(group=group, seq=seq, sender=sender, client_id=client_id, body=body,
                                             created_at=now)
            record("message.sent", actor_id=sender.pk, origin=origin, group_code=group.code, at=now,
                   data={"message_id": message.id, "seq": seq, "type": message.kind, "chars": len(body)})
            payload = message_payload(message, group_code=group.code, role=membership.role,
                                      sender_nickname=sender.nickname)
            broadcast_on_commit([group_channel_group(group.code)], {"type": "message.new", "message": payload})
    except IntegrityError:
        # Two deliveries of the same frame raced; the loser's whole transaction (seq included) rolled back.
        retry = _existing(sender, client_id, group)
        if retry is None:
            raise
        return retry
    return SendResult(message, payload, created=True)


@transaction.atomic
def message_remove(*, actor: User, group: Group, message_id: int, reason: str = "", origin: Origin) -> Message:
    """Hide a message from everyone, live. The sender may recall their own; owners/admins delete any member's.

    The row stays (with who removed it and why) for the network log. Side effects: audit event
    ``delete_message`` when removed by a manager; network log ``message.removed``; broadcast ``message.removed``.
    """
    message = Message.objects.select_for_update().filter(group=group, pk=message_id).first()
    if message is None:
        raise ApplicationError("message_not_found")
    by_sender = message.sender_id == actor.pk
    if not by_sender:
        actor_membership = require_manager(group=group, actor=actor)
        sender_role = Membership.objects.filter(group=group, user_id=message.sender_id).values_list(
            "role", flat=True).first()
        # Owners delete anyone's message; admins only plain members' (and former members'), as for every tool.
        if actor_membership.role == Role.ADMIN and sender_role in (Role.OWNER, Role.ADMIN):
            raise ApplicationError("cannot_act_on_peer")
    if message.removed_at is not None:
        return message
    message.removed_at = timezone.now()
    message.removed_by = actor
    message.removed_reason = reason[:200]
    message.save(update_fields=["removed_at", "removed_by", "removed_reason"])
    if by_sender:
        record("message.recalled", actor_id=actor.pk, origin=origin, group_code=group.code,
               data={"message_id": message.pk, "seq": message.seq})
    else:
        group_event(group=group, actor=actor, action=AuditAction.DELETE_MESSAGE, origin=origin,
                    target=message.sender, data={"message_id": message.pk, "seq": message.seq, "reason": reason})
    broadcast_on_commit([group_channel_group(group.code)], {
        "type": "message.removed", "group": group.code, "message_id": message.pk, "seq": message.seq,
        "reason": reason,
    })
    return message
