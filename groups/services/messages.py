"""The message path (DESIGN §3): checks, one transaction for seq + message + network log, fan-out after commit.

Invariants: ``seq`` is contiguous per group (allocated by an UPDATE on the group row inside the message's transaction,
so a rollback gives the number back); a retry with the same ``(sender, client_id)`` returns the stored message and
never makes a second one; nobody is told about a message before it and its log row are committed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from groupchat.core import ratelimit
from groupchat.core.broadcast import broadcast_on_commit, group_channel_group
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record, record_many
from groupchat.core.hooks import run_hooks
from groupchat.core.models import LogEntry
from groupchat.core.origin import Origin
from groupchat.core.sql import execute_prepared, insert_rows

from ..codes import is_well_formed
from ..models import AuditAction, Group, GroupStatus, Membership, Message, MessageKind, Role
from ..payloads import message_payload, messages_frame
from ._common import group_event, require_manager

# Hands out the next k seqs of a group under its row lock; a rollback gives them back, so seq stays contiguous.
_ALLOCATE_SEQS = (f"UPDATE {Group._meta.db_table} SET last_seq = last_seq + %s, last_message_at = %s "
                  "WHERE id = %s RETURNING last_seq")
# On PostgreSQL one statement stores a whole batch: it takes every group's seqs, inserts the messages with them and
# their network-log rows. Run outside a transaction it is its own transaction and commits with its one round trip
# (it had been BEGIN, the statement, the log INSERT and COMMIT), so the group rows' locks, which every other process
# writing to the group waits for, are held only while the database works, never while this thread waits for the GIL
# between statements. The rows are locked in id order first (as the loop in _store_batch_statements does elsewhere),
# so two batches touching the same groups can never deadlock.
# ``r.k`` is a message's place among its group's messages in the batch.
_GROUP, _MESSAGE, _LOG = Group._meta.db_table, Message._meta.db_table, LogEntry._meta.db_table
_STORE_BATCH = f"""
WITH r AS (
  SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9)
    AS r(group_id, k, sender_id, client_id, kind, body, ip, port, user_agent)
),
v AS (SELECT group_id AS id, count(*) AS n FROM r GROUP BY group_id),
locked AS MATERIALIZED (SELECT id FROM {_GROUP} WHERE id = ANY($10) ORDER BY id FOR UPDATE),
seqs AS (
  UPDATE {_GROUP} AS g SET last_seq = g.last_seq + v.n, last_message_at = $11
  FROM v WHERE g.id = ANY($10) AND g.id = v.id AND g.id IN (SELECT id FROM locked)
  RETURNING g.id, g.code, g.last_seq - v.n AS before
),
ins AS (
  INSERT INTO {_MESSAGE} (group_id, seq, sender_id, client_id, kind, body, created_at, removed_reason)
  SELECT r.group_id, s.before + r.k, r.sender_id, r.client_id, r.kind, r.body, $11, ''
  FROM r JOIN seqs s ON s.id = r.group_id
  ORDER BY r.group_id, r.k
  RETURNING id, group_id, seq, sender_id, client_id
),
log AS (
  INSERT INTO {_LOG} (created_at, kind, actor_id, group_code, target_id, ip, port, user_agent, data)
  SELECT $11, 'message.sent', ins.sender_id, s.code, NULL, r.ip, r.port, r.user_agent,
         jsonb_build_object('message_id', ins.id, 'seq', ins.seq, 'type', r.kind, 'chars', char_length(r.body))
  FROM ins JOIN seqs s ON s.id = ins.group_id JOIN r ON r.sender_id = ins.sender_id AND r.client_id = ins.client_id
  ORDER BY ins.group_id, ins.seq
)
SELECT id, group_id, seq FROM ins
"""
_STORE_BATCH_TYPES = ("bigint[]", "bigint[]", "bigint[]", "text[]", "text[]", "text[]", "inet[]", "integer[]", "text[]",
                      "bigint[]", "timestamptz")
_MESSAGE_COLUMNS = ("group_id", "seq", "sender_id", "client_id", "kind", "body", "created_at", "removed_reason")

# (group id, k, sender, client_id, kind, body, origin); k = 1..n within each group, rows in (group id, k) order.
StoreRow = tuple[int, int, User, str, str, str, Origin]


def _store_batch(rows: list[StoreRow], codes: dict[int, str], now) -> list[tuple[int, int]]:
    """Take as many seqs from each group as it has rows, insert ``rows`` and a network-log ``message.sent`` row for
    each, all or nothing; ``(id, seq)`` of each new message, in ``rows`` order. Commits by itself when called outside a
    transaction (PostgreSQL: one prepared statement, one round trip). ``codes``: each group's code, by id."""
    if connection.vendor != "postgresql":
        return _store_batch_statements(rows, codes, now)
    # One array per column (the statement's text is the same for every batch, so it is planned once per connection).
    columns = [list(column) for column in zip(*[
        (g, k, sender.pk, client_id, kind, body, origin.ip, origin.port, origin.user_agent)
        for g, k, sender, client_id, kind, body, origin in rows], strict=True)]
    # Inside a caller's transaction (an HTTP send under an outer atomic), a savepoint keeps a refused batch (a raced
    # retry: IntegrityError) from aborting the caller's transaction; outside one, the statement is its own.
    with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
        execute_prepared(cursor, _STORE_BATCH, [*columns, sorted(codes), now], _STORE_BATCH_TYPES)
        # Within a group, seq follows k: sorted by (group id, seq), the new rows line up with ``rows``.
        return [(pk, seq) for pk, _, seq in sorted(cursor.fetchall(), key=lambda row: (row[1], row[2]))]


def _store_batch_statements(rows: list[StoreRow], codes: dict[int, str], now) -> list[tuple[int, int]]:
    """``_store_batch`` for SQLite (the embedded mode): the same writes as several statements in one transaction."""
    counts = Counter(g for g, *_ in rows)
    with transaction.atomic(), connection.cursor() as cursor:
        before: dict[int, int] = {}
        for group_id in sorted(counts):  # in id order: see _STORE_BATCH
            cursor.execute(_ALLOCATE_SEQS, [counts[group_id], now, group_id])
            before[group_id] = cursor.fetchone()[0] - counts[group_id]
        seqs = [before[g] + k for g, k, *_ in rows]
        pks = insert_rows(Message, _MESSAGE_COLUMNS, [
            (g, seq, sender.pk, client_id, kind, body, now, "")
            for (g, _, sender, client_id, kind, body, _), seq in zip(rows, seqs, strict=True)
        ], returning="id")
        record_many([
            {"at": now, "kind": "message.sent", "actor_id": sender.pk, "group_code": codes[g], "origin": origin,
             "data": {"message_id": pk, "seq": seq, "type": kind, "chars": len(body)}}
            for (g, _, sender, _, kind, body, origin), pk, seq in zip(rows, pks, seqs, strict=True)
        ])
    return list(zip(pks, seqs, strict=True))


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


def send_checks(*, sender: User, group: Group, membership: Membership | None, batch: dict) -> None:
    """Every refusal of the send path, in the order a user would want to hear them.

    ``batch`` is shared by every request of one batch: hooks may keep what they read for the whole batch there
    (``batch["sender_counts"]``: each sender that reaches these checks, with how many of its messages do)."""
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
    run_hooks("message.check", user=sender, group=group, membership=membership, batch=batch)


@dataclass(frozen=True)
class SendRequest:
    sender: User
    group_code: str
    body: Any
    client_id: Any
    origin: Origin


Outcome = SendResult | ApplicationError


def message_send(*, sender: User, group_code: str, body: Any, client_id: Any, origin: Origin) -> SendResult:
    """Store a message and fan it out after commit.

    Idempotent on (sender, client_id). Side effects: network-log ``message.sent``; broadcast ``message.batch`` to
    the group. Raises ApplicationError for every refusal (see ``send_checks``, ``rate_limited``, ``too_long``).
    """
    outcome = message_send_many(requests=[SendRequest(sender, group_code, body, client_id, origin)])[0]
    if isinstance(outcome, ApplicationError):
        raise outcome
    return outcome


def message_send_many(*, requests: Sequence[SendRequest]) -> list[Outcome]:
    """Check and store many messages (from many senders, into many groups) in one transaction.

    One statement (seqs, messages and their network-log rows) and one commit, one fsync, serve the whole batch
    instead of one of each per message. Each request gets its own outcome: a SendResult, or the ApplicationError
    refusing it; a refusal never affects the other requests. Checks run in the same order as for a single message.
    Side effects as ``message_send``; one ``message.batch`` broadcast per group after commit. The socket batcher runs
    the two halves, ``message_batch_check`` and ``message_batch_store``, on two threads so one batch is checked while
    the one before it commits.
    """
    return message_batch_store(plan=message_batch_check(requests=requests))


@dataclass
class SendPlan:
    """A checked batch, ready to store: what ``message_batch_check`` decided for each request."""

    outcomes: list[Outcome | None]  # refusals and retries are decided; the accepted ones are filled in on store
    accepted: dict[int, list[tuple[int, SendRequest, str, str, Membership]]]  # by group id, in arrival order
    repeats: list[tuple[int, int]]  # (index, index of the same frame earlier in this batch)
    groups: dict[str, Group]
    memberships: dict[tuple[int, int], Membership]


def message_batch_check(*, requests: Sequence[SendRequest]) -> SendPlan:
    """The first half of ``message_send_many``: every read and check, no write but the rate-limit counters."""
    outcomes: list[Outcome | None] = [None] * len(requests)
    valid: list[tuple[int, SendRequest, str, str]] = []
    # A batch is mostly one or a few groups: each code's check digit is computed once, not once per message.
    well_formed = {code: is_well_formed(code or "") for code in {r.group_code for r in requests}}
    for i, request in enumerate(requests):
        try:
            body, client_id = _validate_frame(body=request.body, client_id=request.client_id)
            if not well_formed[request.group_code]:
                raise ApplicationError("group_not_found")
        except ApplicationError as exc:
            outcomes[i] = exc
            continue
        valid.append((i, request, body, client_id))
    plan = SendPlan(outcomes, {}, [], {}, {})
    if not valid:
        return plan

    # The senders' memberships with their groups in one query; the groups of a code nobody in the batch is a member
    # of (not_member, or no such group) need a second one, which a batch of members never pays.
    codes = {r.group_code for _, r, _, _ in valid}
    memberships = plan.memberships = _memberships_with_groups(codes, {r.sender.pk for _, r, _, _ in valid})
    groups = plan.groups = {m.group.code: m.group for m in memberships.values()}
    if codes - groups.keys():
        groups.update((g.code, g) for g in Group.objects.filter(code__in=codes - groups.keys()))
    stored = _stored_messages({(r.sender.pk, c) for _, r, _, c in valid})
    first_in_batch: dict[tuple[int, str], int] = {}
    fresh: list[tuple[int, SendRequest, str, str, Group]] = []
    for i, request, body, client_id in valid:
        group = groups.get(request.group_code)
        key = (request.sender.pk, client_id)
        try:
            if group is None:
                raise ApplicationError("group_not_found")
            if key in stored:  # a retry of a stored frame: the same answer again, and it costs no rate
                outcomes[i] = _retry_result(stored[key], group, request.sender, memberships)
                continue
        except ApplicationError as exc:
            outcomes[i] = exc
            continue
        if key in first_in_batch:
            plan.repeats.append((i, first_in_batch[key]))
            continue
        first_in_batch[key] = i
        fresh.append((i, request, body, client_id, group))

    # Every new frame counts against its sender's send rate: one Redis round trip for the whole batch.
    allowed = ratelimit.hit_many([(settings.GROUPCHAT["SEND_RATE"], ("send", str(r.sender.pk))) for _, r, *_ in fresh])
    # Shared by the hooks of this batch.
    batch = {"sender_counts": Counter(r.sender.pk for (_, r, *_), ok in zip(fresh, allowed, strict=True) if ok)}
    for (i, request, body, client_id, group), ok in zip(fresh, allowed, strict=True):
        try:
            if not ok:
                raise ApplicationError("rate_limited")
            membership = memberships.get((group.pk, request.sender.pk))
            send_checks(sender=request.sender, group=group, membership=membership, batch=batch)
            run_hooks("message.screen", user=request.sender, group=group, body=body)
        except ApplicationError as exc:
            outcomes[i] = exc
            continue
        plan.accepted.setdefault(group.pk, []).append((i, request, body, client_id, membership))
    return plan


def message_batch_store(*, plan: SendPlan) -> list[Outcome]:
    """The second half of ``message_send_many``: store what ``message_batch_check`` accepted, in one transaction.

    Side effects: network-log ``message.sent`` per message; ``message.batch`` broadcast per group after commit.
    """
    outcomes = plan.outcomes
    if plan.accepted:
        try:
            _write(plan.accepted, groups_by_id={g.pk: g for g in plan.groups.values()}, outcomes=outcomes)
        except IntegrityError:
            # Another transaction stored one of these frames first (a retry racing its original, possibly the batch
            # checked while this one's predecessor committed); this one rolled back whole, seqs included.
            items = [item for group_items in plan.accepted.values() for item in group_items]
            if len(items) == 1:
                i, request, _, client_id, _ = items[0]
                message = _stored_messages({(request.sender.pk, client_id)}).get((request.sender.pk, client_id))
                if message is None:
                    raise
                outcomes[i] = _retry_result(message, plan.groups[request.group_code], request.sender,
                                            plan.memberships)
            else:  # retry each alone, so only the raced frame becomes a retry
                for i, request, *_ in items:
                    outcomes[i] = message_send_many(requests=[request])[0]
    for i, earlier in plan.repeats:
        first = outcomes[earlier]
        outcomes[i] = first if isinstance(first, ApplicationError) else SendResult(first.message, first.payload, False)
    return outcomes  # type: ignore[return-value]


# The ids stored under these (sender, client_id) pairs: one probe of the unique index per pair (LATERAL keeps the
# planner from anything else, whatever its estimate of the arrays' length).
_STORED_IDS = f"""
SELECT m.id FROM unnest($1, $2) AS p(sender_id, client_id)
CROSS JOIN LATERAL (SELECT id FROM {_MESSAGE} WHERE sender_id = p.sender_id AND client_id = p.client_id) m
"""


_MEMBERSHIP_FIELDS = [f.attname for f in Membership._meta.concrete_fields]
_GROUP_FIELDS = [f.attname for f in Group._meta.concrete_fields]
_MEMBERSHIPS = f"""
SELECT {", ".join(f"m.{Membership._meta.get_field(a).column}" for a in _MEMBERSHIP_FIELDS)},
       {", ".join(f"g.{Group._meta.get_field(a).column}" for a in _GROUP_FIELDS)}
FROM {Membership._meta.db_table} m JOIN {_GROUP} g ON g.id = m.group_id
WHERE g.code = ANY($1) AND m.user_id = ANY($2)
"""


def _memberships_with_groups(codes: set[str], user_ids: set[int]) -> dict[tuple[int, int], Membership]:
    """The memberships of these users in the groups of these codes, each with its group, by (group id, user id).

    On PostgreSQL a prepared statement whose rows become model instances directly (none of these fields needs a
    database converter there): the ORM's compiling of the same join took longer than the database's answer."""
    if connection.vendor != "postgresql":
        found = Membership.objects.select_related("group").filter(group__code__in=codes, user_id__in=user_ids)
        return {(m.group_id, m.user_id): m for m in found}
    with connection.cursor() as cursor:
        execute_prepared(cursor, _MEMBERSHIPS, [list(codes), list(user_ids)], ("text[]", "bigint[]"))
        rows = cursor.fetchall()
    found: dict[tuple[int, int], Membership] = {}
    groups: dict[int, Group] = {}  # one instance per group, shared by its members' memberships
    n = len(_MEMBERSHIP_FIELDS)
    for row in rows:
        membership = Membership.from_db(connection.alias, _MEMBERSHIP_FIELDS, row[:n])
        group = groups.get(membership.group_id)
        if group is None:
            group = groups[membership.group_id] = Group.from_db(connection.alias, _GROUP_FIELDS, row[n:])
        membership.group = group
        found[membership.group_id, membership.user_id] = membership
    return found


def _stored_messages(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], Message]:
    """The messages already stored under these ``(sender id, client_id)`` pairs (retries; usually none).

    Exact pairs, so every lookup is a probe of the unique index; with two IN lists the planner may take the sender
    index and filter all of a busy sender's messages (6 ms at 20,000 of them). Written as SQL because the ORM spent
    more Python compiling a 20-way ``Q`` OR than the database took to answer it (8 % of the server under ingest);
    prepared on PostgreSQL. The rare matches are then loaded whole.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            senders, client_ids = zip(*pairs, strict=True)
            execute_prepared(cursor, _STORED_IDS, [list(senders), list(client_ids)], ("bigint[]", "text[]"))
        else:
            where = " OR ".join(["(sender_id = %s AND client_id = %s)"] * len(pairs))
            cursor.execute(f"SELECT id FROM {_MESSAGE} WHERE {where}", [x for pair in pairs for x in pair])
        ids = [row[0] for row in cursor.fetchall()]
    return {(m.sender_id, m.client_id): m for m in Message.objects.filter(pk__in=ids)} if ids else {}


def _retry_result(message: Message, group: Group, sender: User, memberships: dict) -> SendResult:
    if message.group_id != group.pk:
        raise ApplicationError("bad_frame", params={"reason": "client_id was already used in another group"})
    membership = memberships.get((group.pk, sender.pk))
    payload = message_payload(message, group_code=group.code, role=membership.role if membership else None,
                              sender_nickname=sender.nickname)
    return SendResult(message, payload, created=False)


def _write(accepted: dict, *, groups_by_id: dict[int, Group], outcomes: list) -> None:
    now = timezone.now()
    order = [(group_id, k, item) for group_id in sorted(accepted) for k, item in enumerate(accepted[group_id], 1)]
    stored = _store_batch([(group_id, k, request.sender, client_id, MessageKind.TEXT, body, request.origin)
                           for group_id, k, (_, request, body, client_id, _) in order],
                          {group_id: groups_by_id[group_id].code for group_id in accepted}, now)
    # Stored (committed, unless a caller's transaction is open: then the broadcasts wait for its commit). Payloads and
    # frames are built only now, outside the statement that holds the groups' row locks.
    by_group: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for (group_id, _, (i, request, body, client_id, membership)), (pk, seq) in zip(order, stored, strict=True):
        message = Message(id=pk, group_id=group_id, seq=seq, sender=request.sender, client_id=client_id, body=body,
                          created_at=now)
        message._state.adding = False
        payload = message_payload(message, group_code=groups_by_id[group_id].code, role=membership.role,
                                  sender_nickname=request.sender.nickname)
        by_group[group_id].append(payload)
        outcomes[i] = SendResult(message, payload, created=True)
    for group_id, payloads in by_group.items():
        code = groups_by_id[group_id].code
        # Encoded once here, not once per receiving socket (that was a fifth of the server's time in fan-out), and
        # as one frame per batch: the per-frame socket write was over half the server's time under load.
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
