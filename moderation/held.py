"""The moderators' review of held and flagged messages (G10): release, remove, clear; and what they read to decide.

Invariants: a held message is in groups' Message table only once released, and then through the ordinary send path
(``message_send_many(..., screen=False)``: every gate but screening runs), so it takes the group's next seq and
every member's seq stream stays contiguous; the release and the stored message commit together. Nobody but the
sender and the moderators ever learns of a held message that is removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from groupchat.core.broadcast import notify_user_on_commit
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.origin import SYSTEM, Origin
from groups.models import Message
from groups.services.messages import SendRequest, message_send_many

from . import errors  # noqa: F401  (registers the codes)
from .categories import BY_CODE
from .models_screening import FlaggedItem, HeldMessage, HeldStatus, ReviewStatus

PERMISSION = "moderation.review_screening"


def _require_reviewer(user: User) -> None:
    if not (user.is_active and user.is_staff and (user.is_superuser or user.has_perm(PERMISSION))):
        raise ApplicationError("permission_denied")


def _lock_held(held_id: int) -> HeldMessage:
    held = HeldMessage.objects.select_for_update().select_related("group", "sender").filter(pk=held_id).first()
    if held is None:
        raise ApplicationError("not_found")
    if held.status != HeldStatus.HELD:
        raise ApplicationError("held_not_pending")
    return held


@transaction.atomic
def held_release(*, moderator: User, held_id: int, origin: Origin | None = None) -> HeldMessage:
    """Deliver a held message: it is stored now, with the group's next seq, and delivered live like any message.

    Every gate of the send path but screening runs again: if the sender may no longer post there (left, muted,
    group closed...), that refusal is raised and the message stays held. Side effects: the group's Message row and
    its network-log ``message.sent`` row; network log ``moderation.held_released``; the group's broadcast after commit.
    """
    _require_reviewer(moderator)
    held = _lock_held(held_id)
    outcome = message_send_many(requests=[SendRequest(sender=held.sender, group_code=held.group.code, body=held.body,
                                                      client_id=held.client_id, origin=origin or SYSTEM)],
                                screen=False)[0]
    if isinstance(outcome, ApplicationError):
        raise outcome
    held.status, held.decided_by, held.decided_at = HeldStatus.RELEASED, moderator, timezone.now()
    held.message_id_ref = outcome.message.pk
    held.save(update_fields=["status", "decided_by", "decided_at", "message_id_ref"])
    record("moderation.held_released", actor_id=moderator.pk, origin=origin, group_code=held.group.code,
           target_id=held.sender_id, data={"held_id": held.pk, "message_id": outcome.message.pk,
                                           "seq": outcome.message.seq})
    return held


@transaction.atomic
def held_remove(*, moderator: User, held_id: int, reason: str = "", origin: Origin | None = None) -> HeldMessage:
    """Refuse a held message for good: it is never delivered; the sender is told (a ``notice`` on their sockets).

    Side effects: network log ``moderation.held_removed``; the notice after commit. The record stays as evidence."""
    _require_reviewer(moderator)
    held = _lock_held(held_id)
    held.status, held.decided_by, held.decided_at = HeldStatus.REMOVED, moderator, timezone.now()
    held.decision_reason = (reason or "")[:200]
    held.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    record("moderation.held_removed", actor_id=moderator.pk, origin=origin, group_code=held.group.code,
           target_id=held.sender_id, data={"held_id": held.pk, "category": held.category, "reason": reason[:200]})
    notify_user_on_commit(held.sender_id, removed_notice(held), level="warning")
    return held


def removed_notice(held: HeldMessage) -> str:
    """What the sender reads: which message, where, and why, in both languages."""
    excerpt = held.body if len(held.body) <= 30 else held.body[:30] + "…"
    cat = BY_CODE.get(held.category)
    why_zh = f"（{cat.zh}）" if cat else ""
    why_en = f" ({cat.en})" if cat else ""
    return (f"你在群 {held.group.name} 发送的待审消息“{excerpt}”未通过审核，已被删除{why_zh}。 / "
            f"Your message “{excerpt}” in {held.group.name} did not pass review and was removed{why_en}.")


@transaction.atomic
def flagged_review(*, moderator: User, flag_ids: list[int], actioned: bool = False) -> int:
    """Close open review items (``actioned``: a measure was taken). Side effects: network log ``moderation.flag``."""
    _require_reviewer(moderator)
    items = list(FlaggedItem.objects.select_for_update().filter(pk__in=flag_ids, status=ReviewStatus.OPEN))
    status = ReviewStatus.ACTIONED if actioned else ReviewStatus.CLEARED
    now = timezone.now()
    for item in items:
        item.status, item.decided_by, item.decided_at = status, moderator, now
        item.save(update_fields=["status", "decided_by", "decided_at"])
        record("moderation.flag", actor_id=moderator.pk, target_id=item.sender_id,
               data={"flag_id": item.pk, "status": status})
    return len(items)


# --- selectors -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextLine:
    seq: int | None
    sender: str
    body: str
    at: object
    this: bool = False  # the held or flagged message itself


def held_context(*, held: HeldMessage, around: int = 5) -> list[ContextLine]:
    """The messages around a held one (the last ``around`` stored before it was held, and the ones after), with it
    in its place: what a moderator reads to decide."""
    base = Message.objects.filter(group_id=held.group_id, removed_at__isnull=True).select_related("sender")
    before = list(base.filter(created_at__lte=held.created_at).order_by("-seq")[:around])[::-1]
    after = list(base.filter(created_at__gt=held.created_at).order_by("seq")[:around])
    line = ContextLine(None, held.sender.nickname, held.text_shown(), held.created_at, this=True)
    return [*(_line(m) for m in before), line, *(_line(m) for m in after)]


def flagged_context(*, item: FlaggedItem, around: int = 5) -> list[ContextLine]:
    """The flagged message (once stored) with the messages around it by seq."""
    stored = (Message.objects.filter(sender_id=item.sender_id, client_id=item.client_id).first()
              if item.group_id is not None else None)
    if stored is None:  # a profile text, or a message that was never stored: the flagged text alone
        return [ContextLine(None, item.sender.nickname if item.sender else "", item.text_shown(), item.created_at, True)]
    rows = Message.objects.filter(group_id=stored.group_id, seq__gte=stored.seq - around,
                                  seq__lte=stored.seq + around).select_related("sender").order_by("seq")
    return [_line(m, this=m.pk == stored.pk) for m in rows]


def _line(message: Message, this: bool = False) -> ContextLine:
    return ContextLine(message.seq, message.sender.nickname, message.body, message.created_at, this)
