"""Every hand-written SQL statement of groups, each next to the ORM code that is its reference.

The message path runs these once per batch, so on PostgreSQL each is one prepared statement (planned once per
connection; ``groupchat.core.sql.execute_prepared``). The ORM version of each does the same work, serves SQLite (the
embedded mode), and is what the statement is tested against: tests/groups/test_message_sql.py runs both on the same
batch on PostgreSQL and compares messages, seqs and network-log rows.

The network-log row of a message is built in one place, ``message_log_data``; the statement only adds the ids the
database hands out (message id and seq), as the ORM version does.
"""

from __future__ import annotations

import functools
import operator
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import F, Q
from rest_framework.authtoken.models import Token

from accounts.models import User
from groupchat.core.models import LogEntry
from groupchat.core.origin import Origin
from groupchat.core.sql import execute_prepared

from .models import Group, Membership, Message

_GROUP, _MESSAGE, _LOG, _MEMBERSHIP = (Group._meta.db_table, Message._meta.db_table, LogEntry._meta.db_table,
                                      Membership._meta.db_table)


def message_log_data(*, kind: str, body: str) -> dict[str, Any]:
    """The ``data`` of a message's network-log row (G13b), but for the ids the store adds: ``message_id``, ``seq``."""
    return {"type": kind, "chars": len(body)}


# --- the senders' memberships with their groups (check stage) --------------------------------------------------------
_MEMBERSHIP_FIELDS = [f.attname for f in Membership._meta.concrete_fields]
_GROUP_FIELDS = [f.attname for f in Group._meta.concrete_fields]
_MEMBERSHIPS = f"""
SELECT {", ".join(f"m.{Membership._meta.get_field(a).column}" for a in _MEMBERSHIP_FIELDS)},
       {", ".join(f"g.{Group._meta.get_field(a).column}" for a in _GROUP_FIELDS)}
FROM {_MEMBERSHIP} m JOIN {_GROUP} g ON g.id = m.group_id
WHERE g.code = ANY($1) AND m.user_id = ANY($2)
"""


def memberships_with_groups(codes: Iterable[str], user_ids: Iterable[int]) -> dict[tuple[int, int], Membership]:
    """The memberships of these users in the groups of these codes, each with its group, by (group id, user id).

    On PostgreSQL a prepared statement whose rows become model instances directly (none of these fields needs a
    database converter there): the ORM's compiling of the same join took longer than the database's answer."""
    codes, user_ids = list(codes), list(user_ids)
    if connection.vendor != "postgresql":
        return memberships_with_groups_orm(codes, user_ids)
    with connection.cursor() as cursor:
        execute_prepared(cursor, _MEMBERSHIPS, [codes, user_ids], ("text[]", "bigint[]"))
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


def memberships_with_groups_orm(codes: Sequence[str], user_ids: Sequence[int]) -> dict[tuple[int, int], Membership]:
    found = Membership.objects.select_related("group").filter(group__code__in=codes, user_id__in=user_ids)
    return {(m.group_id, m.user_id): m for m in found}


# --- messages already stored under (sender, client_id): retries (check stage) ----------------------------------------
# One probe of the unique index per pair (LATERAL keeps the planner from anything else, whatever its estimate of the
# arrays' length). With two IN lists the planner may take the sender index and filter all of a busy sender's messages.
_STORED_IDS = f"""
SELECT m.id FROM unnest($1, $2) AS p(sender_id, client_id)
CROSS JOIN LATERAL (SELECT id FROM {_MESSAGE} WHERE sender_id = p.sender_id AND client_id = p.client_id) m
"""


def stored_messages(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], Message]:
    """The messages already stored under these ``(sender id, client_id)`` pairs (retries; usually none)."""
    if not pairs:
        return {}
    if connection.vendor != "postgresql":
        return stored_messages_orm(pairs)
    senders, client_ids = zip(*pairs, strict=True)
    with connection.cursor() as cursor:
        execute_prepared(cursor, _STORED_IDS, [list(senders), list(client_ids)], ("bigint[]", "text[]"))
        ids = [row[0] for row in cursor.fetchall()]
    return {(m.sender_id, m.client_id): m for m in Message.objects.filter(pk__in=ids)} if ids else {}


def stored_messages_orm(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], Message]:
    where = functools.reduce(operator.or_, (Q(sender_id=s, client_id=c) for s, c in pairs))
    return {(m.sender_id, m.client_id): m for m in Message.objects.filter(where)}


# --- the store: seqs, messages and their network-log rows, all or nothing (store stage) -------------------------------
@dataclass(frozen=True, slots=True)
class StoreRow:
    """One checked message to store. ``k``: its place (1..n) among its group's messages in the batch."""

    group_id: int
    k: int
    gate: int  # the group's ``send_gate`` the message was checked against
    sender_id: int
    client_id: str
    kind: str
    body: str
    origin: Origin


# One statement stores a whole batch. Run outside a transaction it is its own transaction and commits with its one
# round trip, so the group rows' locks, which every other process writing to the group waits for, are held only while
# the database works. The rows are locked in id order first, so two batches touching the same groups never deadlock.
# Under those locks each group's ``send_gate`` is compared with the one its messages were checked against: a measure
# (send_gate_bump) committed since then changed it, and that group's messages are left out (the caller checks them
# again). FOR UPDATE reads the newest committed row, and a measure still open holds the row lock this waits for, so
# no measure can commit between this comparison and the insert.
_STORE_BATCH = f"""
WITH r AS (
  SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    AS r(group_id, k, gate, sender_id, client_id, kind, body, ip, port, user_agent, server_ip, server_port, data)
),
locked AS MATERIALIZED (SELECT id, send_gate FROM {_GROUP} WHERE id = ANY($14) ORDER BY id FOR UPDATE),
ok AS MATERIALIZED (SELECT r.* FROM r JOIN locked l ON l.id = r.group_id AND l.send_gate = r.gate),
v AS (SELECT group_id AS id, count(*) AS n FROM ok GROUP BY group_id),
seqs AS (
  UPDATE {_GROUP} AS g SET last_seq = g.last_seq + v.n, last_message_at = $15
  FROM v WHERE g.id = ANY($14) AND g.id = v.id
  RETURNING g.id, g.code, g.last_seq - v.n AS before
),
ins AS (
  INSERT INTO {_MESSAGE} (group_id, seq, sender_id, client_id, kind, body, created_at, removed_reason)
  SELECT ok.group_id, s.before + ok.k, ok.sender_id, ok.client_id, ok.kind, ok.body, $15, ''
  FROM ok JOIN seqs s ON s.id = ok.group_id
  ORDER BY ok.group_id, ok.k
  RETURNING id, group_id, seq, sender_id, client_id
),
log AS (
  INSERT INTO {_LOG} (created_at, kind, actor_id, group_code, target_id, ip, port, user_agent, server_ip, server_port,
                      data)
  SELECT $15, 'message.sent', ins.sender_id, s.code, NULL, ok.ip, ok.port, ok.user_agent, ok.server_ip, ok.server_port,
         ok.data || jsonb_build_object('message_id', ins.id, 'seq', ins.seq)
  FROM ins JOIN seqs s ON s.id = ins.group_id JOIN ok ON ok.sender_id = ins.sender_id AND ok.client_id = ins.client_id
  ORDER BY ins.group_id, ins.seq
)
SELECT id, group_id, seq FROM ins
"""
_STORE_BATCH_TYPES = ("bigint[]", "bigint[]", "bigint[]", "bigint[]", "text[]", "text[]", "text[]", "inet[]",
                      "integer[]", "text[]", "inet[]", "integer[]", "jsonb[]", "bigint[]", "timestamptz")

Stored = tuple[int, int] | None  # (message id, seq), or None: its group's send gate changed since the check


def store_batch(rows: Sequence[StoreRow], now: datetime) -> list[Stored]:
    """Take as many seqs from each group as it has rows, insert ``rows`` and a network-log ``message.sent`` row for
    each, all or nothing; per row ``(id, seq)``, or None for the rows of a group whose send gate moved since they were
    checked (nothing of that group is written). Rows come in (group id, k) order. Commits by itself when called
    outside a transaction (PostgreSQL: one prepared statement, one round trip)."""
    if connection.vendor != "postgresql":
        return store_batch_orm(rows, now)
    columns = [list(column) for column in zip(*[
        (r.group_id, r.k, r.gate, r.sender_id, r.client_id, r.kind, r.body, r.origin.ip, r.origin.port,
         r.origin.user_agent, r.origin.server_ip, r.origin.server_port,
         orjson.dumps(message_log_data(kind=r.kind, body=r.body)).decode())
        for r in rows], strict=True)]
    # Inside a caller's transaction (an HTTP send under an outer atomic), a savepoint keeps a refused batch (a raced
    # retry: IntegrityError) from aborting the caller's transaction; outside one, the statement is its own.
    with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
        execute_prepared(cursor, _STORE_BATCH, [*columns, sorted({r.group_id for r in rows}), now],
                         _STORE_BATCH_TYPES)
        found = cursor.fetchall()
    return _line_up(rows, found)


def _line_up(rows: Sequence[StoreRow], found: Iterable[tuple[int, int, int]]) -> list[Stored]:
    """Within a group seq follows k: each stored group's new (id, seq) pairs, sorted by seq, line up with its rows."""
    by_group: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, group_id, seq in sorted(found, key=lambda row: (row[1], row[2])):
        by_group[group_id].append((pk, seq))
    return [by_group[r.group_id][r.k - 1] if r.group_id in by_group else None for r in rows]


def store_batch_orm(rows: Sequence[StoreRow], now: datetime) -> list[Stored]:
    """``store_batch`` with the ORM: the reference of the statement above, and the SQLite path."""
    counts = Counter(r.group_id for r in rows)
    with transaction.atomic():
        locked = {g.pk: g for g in Group.objects.select_for_update().filter(pk__in=counts).order_by("pk")
                  .only("pk", "code", "send_gate", "last_seq")}
        fresh = {gid for gid, g in locked.items() if all(r.gate == g.send_gate for r in rows if r.group_id == gid)}
        for group_id in sorted(fresh):
            Group.objects.filter(pk=group_id).update(last_seq=F("last_seq") + counts[group_id], last_message_at=now)
        keep = [r for r in rows if r.group_id in fresh]
        messages = Message.objects.bulk_create([
            Message(group_id=r.group_id, seq=locked[r.group_id].last_seq + r.k, sender_id=r.sender_id,
                    client_id=r.client_id, kind=r.kind, body=r.body, created_at=now, removed_reason="")
            for r in keep])
        LogEntry.objects.bulk_create([
            LogEntry(created_at=now, kind="message.sent", actor_id=r.sender_id, group_code=locked[r.group_id].code,
                     ip=r.origin.ip, port=r.origin.port, user_agent=r.origin.user_agent,
                     server_ip=r.origin.server_ip, server_port=r.origin.server_port,
                     data={**message_log_data(kind=r.kind, body=r.body), "message_id": m.pk, "seq": m.seq})
            for r, m in zip(keep, messages, strict=True)])
    return _line_up(rows, [(m.pk, m.group_id, m.seq) for m in messages])


# --- send gates: measures that change who may send ---------------------------------------------------------------------
def send_gates_bump(*, user_ids: Sequence[int], group_ids: Sequence[int]) -> None:
    """Move the send gate of these groups and of every group these users are members of, locking the rows in id order
    (as the store does, so the two never deadlock)."""
    where = Q(pk__in=group_ids) | Q(pk__in=Membership.objects.filter(user_id__in=user_ids).values("group_id"))
    ids = list(Group.objects.select_for_update().filter(where).order_by("pk").values_list("pk", flat=True))
    if ids:
        Group.objects.filter(pk__in=ids).update(send_gate=F("send_gate") + 1)


# The history API view's checks in one statement: TokenAuthentication (a token of an active user), IsAuthenticated,
# then selectors.group_of_member (a member of the group with this code). For the lean GET (groups.history).
_TOKEN_MEMBER_GROUP = f"""
SELECT g.id, g.code, g.last_seq
FROM {Token._meta.db_table} t
JOIN {User._meta.db_table} u ON u.id = t.user_id AND u.is_active
JOIN {_MEMBERSHIP} m ON m.user_id = u.id
JOIN {_GROUP} g ON g.id = m.group_id AND g.code = $1
WHERE t.key = $2
"""


def token_member_group(*, token: str, code: str) -> Group | None:
    """The group (id, code, last_seq) with this code when the token's active user is a member of it, else None."""
    if connection.vendor != "postgresql":
        return token_member_group_orm(token=token, code=code)
    with connection.cursor() as cursor:
        execute_prepared(cursor, _TOKEN_MEMBER_GROUP, [code, token], ("text", "text"))
        row = cursor.fetchone()
    return None if row is None else Group(id=row[0], code=row[1], last_seq=row[2])


def token_member_group_orm(*, token: str, code: str) -> Group | None:
    return (Group.objects.only("id", "code", "last_seq")
            .filter(code=code, memberships__user__auth_token__key=token, memberships__user__is_active=True).first())
