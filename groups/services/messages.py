"""The message path (DESIGN §3), top-down: validate -> account gates -> screening -> store -> tell.

``message_send_many(requests) -> list[Outcome]`` is the one entry: the socket's batcher and the HTTP send both call
it (the batcher runs its two halves, ``message_batch_check`` and ``message_batch_store``, on two threads so one batch
is checked while the one before it commits). Synchronous, typed, no knowledge of sockets or threads.

Invariants:
- ``seq`` is contiguous per group (allocated inside the statement that stores the batch, under the group's row lock;
  a rollback gives the numbers back).
- A retry with the same ``(sender, client_id)`` returns the stored message and never makes a second one.
- Nobody is told about a message before it and its network-log row are committed.
- Batch isolation: a message refused by validation, a gate, a screening hook or the database fails only its own send,
  with its own code; every other message of the batch is stored and acked.
- No stale check: a measure committed after the check stage (``send_gate_bump``) makes the store leave that group's
  messages out, and they are checked again against the new state before anything is stored.
- The database unreachable is a retryable ``unavailable`` (with ``retry_after``), never an ack.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from accounts.gates import SendGates
from accounts.models import User
from groupchat.core import ratelimit
from groupchat.core.broadcast import broadcast_on_commit, group_channel_group
from groupchat.core.errors import ApplicationError, unavailable
from groupchat.core.events import record
from groupchat.core.language import pick
from groupchat.core.origin import Origin

from .. import sql
from ..codes import is_well_formed
from ..models import AuditAction, Group, GroupStatus, Membership, Message, MessageKind, Role
from ..payloads import message_payload, messages_frame
from ..screening import ScreenItem, screen_batch
from ._common import group_event, require_manager

log = logging.getLogger(__name__)


# --- what goes in and what comes out -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SendRequest:
    sender: User
    group_code: str
    body: Any  # as received: validated here
    client_id: Any
    origin: Origin


@dataclass(frozen=True)
class SendResult:
    message: Message
    payload: dict[str, Any]
    created: bool  # False when this was a retry of a message already stored


@dataclass(frozen=True)
class Held:
    """A message a screening hook holds for review: not stored in Message, not shown; the hook keeps it."""

    group_code: str
    client_id: str
    held_id: int

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        return {"group": self.group_code, "client_id": self.client_id, "held_id": self.held_id,
                "detail": pick(language, zh="消息正在等待审核，通过后将发送到群里。",
                               en="Your message is waiting for review; it is posted to the group once approved.")}


Outcome = SendResult | Held | ApplicationError


@dataclass(slots=True)
class Checked:
    """A request on its way through the checks: its validated text, then its group and the sender's membership."""

    index: int  # its place in the batch
    request: SendRequest
    body: str
    client_id: str
    group: Group | None = None
    membership: Membership | None = None


@dataclass
class SendPlan:
    """A checked batch, ready to store: what ``message_batch_check`` decided for each request."""

    requests: list[SendRequest]
    screen: bool
    outcomes: list[Outcome | None]  # refusals, holds and retries are decided; the accepted are filled in on store
    accepted: list[Checked] = field(default_factory=list)  # in arrival order
    repeats: list[tuple[int, int]] = field(default_factory=list)  # (index, index of the same frame earlier)


# --- the entry points ----------------------------------------------------------------------------------------------
def message_send(*, sender: User, group_code: str, body: Any, client_id: Any, origin: Origin) -> SendResult | Held:
    """Store one message and fan it out after commit (the HTTP send; the socket goes through the batcher).

    Idempotent on (sender, client_id). Side effects: network-log ``message.sent``; broadcast ``message.batch`` to
    the group. Raises ApplicationError for every refusal (``unavailable`` while the database is unreachable)."""
    try:
        outcome = message_send_many(requests=[SendRequest(sender, group_code, body, client_id, origin)])[0]
    except (OperationalError, InterfaceError) as exc:
        log.warning("send refused, database unreachable: %s", exc)
        raise unavailable() from exc
    if isinstance(outcome, ApplicationError):
        raise outcome
    return outcome


def message_send_many(*, requests: Sequence[SendRequest], screen: bool = True) -> list[Outcome]:
    """Check and store many messages (from many senders, into many groups): one outcome per request, in order.

    One statement (seqs, messages and their network-log rows) and one commit serve the whole batch. ``screen=False``
    skips the ``"message.screen"`` hooks only (a held message released by a moderator); every other gate runs.
    Side effects: network-log ``message.sent`` per message; one ``message.batch`` broadcast per group after commit.
    Raises OperationalError / InterfaceError only when the database is unreachable (nothing of the batch is stored).
    """
    return message_batch_store(plan=message_batch_check(requests=requests, screen=screen))


def send_gate_bump(*, user_ids: Iterable[int] = (), group_ids: Iterable[int] = ()) -> None:
    """Call inside the transaction of ANY write that changes who may send (membership removal, mute, group status,
    account deactivation, every moderation measure). After it commits, no message of these users or groups is stored
    unless it was checked against the new state. Side effect: moves the groups' ``send_gate`` under their row locks."""
    sql.send_gates_bump(user_ids=list(user_ids), group_ids=list(group_ids))


# --- check: validate -> read -> rate -> group gates -> account gates -> screening ------------------------------------
def message_batch_check(*, requests: Sequence[SendRequest], screen: bool = True,
                        count_rate: bool = True) -> SendPlan:
    """The first half of ``message_send_many``: every read and check, no write but the rate-limit counters (and what
    the screening hooks record). ``count_rate=False``: the batch was counted once already (a re-check)."""
    plan = SendPlan(list(requests), screen, [None] * len(requests))
    todo = _validate(plan)
    todo = _read(todo, plan) if todo else todo
    todo = _platform_rate(todo, plan) if todo and count_rate else todo
    todo = _group_gates(todo, plan)
    todo = _account_gates(todo, plan, count_rate=count_rate) if todo else todo
    todo = _screening(todo, plan) if todo and screen else todo
    plan.accepted = todo
    return plan


# What PostgreSQL cannot store in a text column: U+0000, and lone surrogates (not encodable as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _validate_one(request: SendRequest) -> tuple[str, str]:
    body, client_id = request.body, request.client_id
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= 64:
        raise ApplicationError("bad_frame", params={"reason": "client_id must be a string of 1-64 characters"})
    if not isinstance(body, str):
        raise ApplicationError("bad_frame", params={"reason": "body must be a string"})
    if _UNSTORABLE.search(client_id) or _UNSTORABLE.search(body):
        raise ApplicationError("bad_frame", params={"reason": "U+0000 and lone surrogates cannot be stored"})
    if not body.strip():
        raise ApplicationError("empty")
    limit = settings.GROUPCHAT["MESSAGE_MAX_CHARS"]
    if len(body) > limit:
        raise ApplicationError("too_long", params={"limit": limit})
    return body, client_id


def _validate(plan: SendPlan) -> list[Checked]:
    todo: list[Checked] = []
    # A batch is mostly one or a few groups: each code's check digit is computed once, not once per message.
    well_formed = {code: isinstance(code, str) and is_well_formed(code) for code in {r.group_code for r in plan.requests}}
    for i, request in enumerate(plan.requests):
        try:
            body, client_id = _validate_one(request)
            if not well_formed[request.group_code]:
                raise ApplicationError("group_not_found")
        except ApplicationError as exc:
            plan.outcomes[i] = exc
            continue
        todo.append(Checked(i, request, body, client_id))
    return todo


def _read(todo: list[Checked], plan: SendPlan) -> list[Checked]:
    """The senders' memberships with their groups (and the groups' send gates, read before any other state), and the
    frames stored already (retries: answered again, they cost no rate). The same frame twice in a batch is answered
    as the first."""
    codes = {c.request.group_code for c in todo}
    memberships = sql.memberships_with_groups(codes, {c.request.sender.pk for c in todo})
    groups = {m.group.code: m.group for m in memberships.values()}
    if codes - groups.keys():  # a code nobody in the batch is a member of (not_member, or no such group)
        groups.update((g.code, g) for g in Group.objects.filter(code__in=codes - groups.keys()))
    stored = sql.stored_messages({(c.request.sender.pk, c.client_id) for c in todo})
    first_in_batch: dict[tuple[int, str], int] = {}
    fresh: list[Checked] = []
    for c in todo:
        c.group = group = groups.get(c.request.group_code)
        if group is None:
            plan.outcomes[c.index] = ApplicationError("group_not_found")
            continue
        c.membership = memberships.get((group.pk, c.request.sender.pk))
        key = (c.request.sender.pk, c.client_id)
        if key in stored:
            plan.outcomes[c.index] = _retry_outcome(stored[key], c)
            continue
        if key in first_in_batch:
            plan.repeats.append((c.index, first_in_batch[key]))
            continue
        first_in_batch[key] = c.index
        fresh.append(c)
    return fresh


def _platform_rate(todo: list[Checked], plan: SendPlan) -> list[Checked]:
    """Every new frame counts against its sender's send rate: one Redis round trip for the whole batch."""
    rate = settings.GROUPCHAT["SEND_RATE"]
    allowed = ratelimit.hit_many([(rate, ("send", str(c.request.sender.pk))) for c in todo])
    return _keep(todo, plan, [None if ok else ApplicationError("rate_limited") for ok in allowed])


def _group_gates(todo: list[Checked], plan: SendPlan) -> list[Checked]:
    now = timezone.now()
    return _keep(todo, plan, [_group_gate_error(c.group, c.membership, now) for c in todo])


def group_status_error(group: Group, now=None) -> ApplicationError | None:
    if group.status == GroupStatus.CLOSED:
        return ApplicationError("group_closed")
    if group.status == GroupStatus.SUSPENDED and (group.status_until is None
                                                  or group.status_until > (now or timezone.now())):
        until = timezone.localtime(group.status_until).strftime("%Y-%m-%d %H:%M") if group.status_until else "—"
        return ApplicationError("group_suspended", params={"until": until}, extra={"until": until})
    return None


def _group_gate_error(group: Group, membership: Membership | None, now) -> ApplicationError | None:
    """Groups' own refusals, in the order a user would want to hear them."""
    if membership is None:
        return ApplicationError("not_member")
    error = group_status_error(group, now)
    if error is not None:
        return error
    if membership.muted_until is not None and membership.muted_until > now:
        until = timezone.localtime(membership.muted_until).strftime("%Y-%m-%d %H:%M")
        return ApplicationError("muted", params={"until": until}, extra={"until": membership.muted_until.isoformat()})
    if group.all_muted and membership.role == Role.MEMBER:
        return ApplicationError("group_muted")
    if group.rules and membership.rules_accepted_at is None:
        return ApplicationError("rules_required", extra={"rules": group.rules})
    return None


def _account_gates(todo: list[Checked], plan: SendPlan, *, count_rate: bool) -> list[Checked]:
    """accounts' gates (G6a, G5b, G7b, G11): one query and one Redis round trip for every sender of the batch."""
    gates = SendGates(Counter(c.request.sender.pk for c in todo), count_rate=count_rate)
    errors: list[ApplicationError | None] = []
    for c in todo:
        try:
            gates.check(c.request.sender)
            errors.append(None)
        except ApplicationError as exc:
            errors.append(exc)
    return _keep(todo, plan, errors)


def _screening(todo: list[Checked], plan: SendPlan) -> list[Checked]:
    """The ``"message.screen"`` hooks of the apps above (groups/screening.py), once for the whole batch."""
    verdicts = screen_batch([ScreenItem(index=c.index, sender=c.request.sender, group=c.group, membership=c.membership,
                                        client_id=c.client_id, body=c.body) for c in todo])
    kept: list[Checked] = []
    for c, verdict in zip(todo, verdicts, strict=True):
        if verdict.action == "refuse":
            plan.outcomes[c.index] = verdict.error
        elif verdict.action == "hold":
            plan.outcomes[c.index] = Held(c.group.code, c.client_id, verdict.held_id)
        else:  # pass, flag: stored as usual (for flag, the hook has recorded its review item)
            kept.append(c)
    return kept


def _keep(todo: list[Checked], plan: SendPlan, errors: Sequence[ApplicationError | None]) -> list[Checked]:
    kept = []
    for c, error in zip(todo, errors, strict=True):
        if error is None:
            kept.append(c)
        else:
            plan.outcomes[c.index] = error
    return kept


def _retry_outcome(message: Message, c: Checked) -> Outcome:
    if message.group_id != c.group.pk:
        return ApplicationError("bad_frame", params={"reason": "client_id was already used in another group"})
    return SendResult(message, _payload(message, c), created=False)


def _payload(message: Message, c: Checked) -> dict[str, Any]:
    return message_payload(message, group_code=c.group.code, role=c.membership.role if c.membership else None,
                           sender_nickname=c.request.sender.nickname)


# --- store -> tell -------------------------------------------------------------------------------------------------
def message_batch_store(*, plan: SendPlan) -> list[Outcome]:
    """The second half of ``message_send_many``: store what ``message_batch_check`` accepted, in one statement,
    then tell. Messages of a group whose send gate moved since the check are checked again (and then stored or
    refused) before this returns. Side effects: network-log ``message.sent`` per message; ``message.batch``
    broadcast per group after commit."""
    outcomes = plan.outcomes
    stale = _store(plan.accepted, outcomes) if plan.accepted else []
    if stale:
        again = message_batch_store(plan=message_batch_check(
            requests=[c.request for c in stale], screen=plan.screen, count_rate=False))
        for c, outcome in zip(stale, again, strict=True):
            outcomes[c.index] = outcome
    for i, earlier in plan.repeats:
        first = outcomes[earlier]
        outcomes[i] = SendResult(first.message, first.payload, False) if isinstance(first, SendResult) else first
    return outcomes  # type: ignore[return-value]


def _store(accepted: list[Checked], outcomes: list[Outcome | None]) -> list[Checked]:
    """Store ``accepted`` in one statement and tell; the ones left out for a moved send gate are returned.

    A statement the database refuses (a raced retry, a value it cannot take) is tried again message by message, so
    only the refused message fails. An unreachable database raises: nothing of the batch is stored."""
    now = timezone.now()
    by_group: dict[int, list[Checked]] = defaultdict(list)
    for c in accepted:
        by_group[c.group.pk].append(c)
    order: list[Checked] = []
    rows: list[sql.StoreRow] = []
    for group_id in sorted(by_group):  # rows in (group id, k) order, as the statement takes them
        for k, c in enumerate(by_group[group_id], 1):
            order.append(c)
            rows.append(sql.StoreRow(group_id=group_id, k=k, gate=c.group.send_gate, sender_id=c.request.sender.pk,
                                     client_id=c.client_id, kind=MessageKind.TEXT, body=c.body,
                                     origin=c.request.origin))
    try:
        stored = sql.store_batch(rows, now)
    except (OperationalError, InterfaceError):
        raise
    except (DatabaseError, ValueError) as exc:  # ValueError: a value the driver refuses to send (U+0000)
        if len(order) > 1:
            return [c for one in order for c in _store([one], outcomes)]
        outcomes[order[0].index] = _refused_by_database(order[0], exc)
        return []
    _tell(order, stored, now, outcomes)
    return [c for c, s in zip(order, stored, strict=True) if s is None]


def _refused_by_database(c: Checked, exc: Exception) -> Outcome:
    if isinstance(exc, IntegrityError):
        # Another transaction stored this frame first (a retry racing its original): answered as the retry it is.
        message = sql.stored_messages({(c.request.sender.pk, c.client_id)}).get((c.request.sender.pk, c.client_id))
        if message is not None:
            return _retry_outcome(message, c)
    log.exception("the database refused message %r of user %s", c.client_id, c.request.sender.pk, exc_info=exc)
    return ApplicationError("bad_frame", params={"reason": "the message could not be stored"})


def _tell(order: list[Checked], stored: list[sql.Stored], now, outcomes: list[Outcome | None]) -> None:
    """Stored (committed, unless a caller's transaction is open: then the broadcasts wait for its commit). Payloads
    and frames are built only now, outside the statement that held the groups' row locks."""
    by_code: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c, found in zip(order, stored, strict=True):
        if found is None:
            continue
        pk, seq = found
        message = Message(id=pk, group_id=c.group.pk, seq=seq, sender=c.request.sender, client_id=c.client_id,
                          body=c.body, created_at=now)
        message._state.adding = False
        payload = _payload(message, c)
        by_code[c.group.code].append(payload)
        outcomes[c.index] = SendResult(message, payload, created=True)
    for code, payloads in by_code.items():
        # Encoded once here, not once per receiving socket, and as one frame per batch and group.
        frame = orjson.dumps(messages_frame(code, payloads)).decode()
        broadcast_on_commit([group_channel_group(code)], {"type": "message.batch", "group": code, "frame": frame})


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
