"""One source for each statement (issue 13 item 7): every hand-written statement of groups (groups/sql.py) against
its ORM reference on PostgreSQL, on the same data."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from groupchat.core.models import LogEntry
from groupchat.core.origin import Origin
from groups import sql
from groups.models import Group, Membership, Message
from tests.factories import ORIGIN, UserFactory, make_group

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_memberships_statement_loads_exactly_what_the_orm_loads(group, alice, member_of):
    """The check stage builds Membership and Group instances from the statement's rows; each field must come out as
    the ORM loads it (a field that needs a database converter would differ here)."""
    assert connection.vendor == "postgresql"
    member_of(group, alice)
    Membership.objects.filter(group=group, user=alice).update(muted_until=timezone.now(), rules_accepted_at=timezone.now(),
                                                              last_read_seq=7)
    Group.objects.filter(pk=group.pk).update(status_until=timezone.now(), activity_avg=1.5, rules="守规矩", send_gate=3)
    codes, users = {group.code, "000000000"}, {alice.pk, 999_999}
    found = sql.memberships_with_groups(codes, users)
    reference = sql.memberships_with_groups_orm(list(codes), list(users))
    assert list(found) == list(reference) == [(group.pk, alice.pk)]
    loaded, expected = found[group.pk, alice.pk], reference[group.pk, alice.pk]
    assert _fields(loaded) == _fields(expected) and _fields(loaded.group) == _fields(expected.group)
    assert not loaded._state.adding and not loaded.group._state.adding


def test_the_stored_messages_statement_finds_what_the_orm_finds(group, alice, owner):
    from groups import services

    first = services.message_send(sender=owner, group_code=group.code, body="一", client_id="x1", origin=ORIGIN)
    pairs = {(owner.pk, "x1"), (owner.pk, "nope"), (alice.pk, "x1")}
    assert sql.stored_messages(pairs) == sql.stored_messages_orm(pairs) == {(owner.pk, "x1"): first.message}


def _snapshot(groups: list[Group], stored: list[sql.Stored]) -> dict:
    """What a store wrote, with the database's ids replaced by their place in the batch."""
    ids = {s[0]: i for i, s in enumerate(stored) if s is not None}
    codes = [g.code for g in groups]
    messages = [(m.group_id, m.seq, m.sender_id, m.client_id, m.kind, m.body, m.removed_reason, ids[m.pk])
                for m in Message.objects.filter(pk__in=ids).order_by("group_id", "seq")]
    log = [(e.kind, e.actor_id, e.group_code, e.target_id, e.ip, e.port, e.user_agent, e.server_ip, e.server_port,
            {**e.data, "message_id": ids[e.data["message_id"]]})
           for e in LogEntry.objects.filter(kind="message.sent", group_code__in=codes).order_by("group_code", "id")]
    seqs = {g.pk: Group.objects.get(pk=g.pk).last_seq for g in groups}
    with connection.cursor() as cursor:  # which of the log's partitions (compliance/0005) the rows went into
        cursor.execute(f"SELECT DISTINCT tableoid::regclass::text FROM {LogEntry._meta.db_table} "
                       "WHERE kind = 'message.sent' AND group_code = ANY(%s)", [codes])
        partitions = {name for (name,) in cursor.fetchall()}
    return {"stored": [None if s is None else (ids[s[0]], s[1]) for s in stored], "messages": messages, "log": log,
            "last_seq": seqs, "partitions": partitions}


def test_the_store_statement_writes_exactly_what_the_orm_reference_writes():
    """The same batch (three groups, one of them with a send gate that moved since the check, several senders and
    origins) through the prepared statement and through the ORM, each rolled back after its snapshot."""
    owner = UserFactory()
    users = [UserFactory() for _ in range(3)]
    groups = [make_group(owner) for _ in range(3)]
    Group.objects.filter(pk=groups[0].pk).update(last_seq=41)
    Group.objects.filter(pk=groups[2].pk).update(send_gate=5)  # the batch was checked at gate 0: left out
    other = Origin(ip="2001:db8::1", port=None, user_agent="客户端/1.0", server_ip="10.0.0.5", server_port=443)
    rows = []
    for g in groups:
        for k, (user, origin) in enumerate([(users[0], ORIGIN), (users[1], other), (users[2], ORIGIN)], 1):
            rows.append(sql.StoreRow(group_id=g.pk, k=k, gate=0, sender_id=user.pk, client_id=f"{g.pk}-{k}",
                                     kind="text", body=f"第{k}条 ✓", origin=origin))
    now = timezone.now()
    snapshots = []
    for store in (sql.store_batch, sql.store_batch_orm):
        with transaction.atomic():
            stored = store(rows, now)
            snapshots.append(_snapshot(groups, stored))
            transaction.set_rollback(True)
    by_statement, by_orm = snapshots
    assert by_statement == by_orm
    assert by_statement["stored"][:6] == [(0, 42), (1, 43), (2, 44), (3, 1), (4, 2), (5, 3)]
    assert by_statement["stored"][6:] == [None, None, None]
    assert by_statement["last_seq"] == {groups[0].pk: 44, groups[1].pk: 3, groups[2].pk: 0}
    first = next(e for e in by_statement["log"] if e[-1]["message_id"] == 0)
    assert first == ("message.sent", users[0].pk, groups[0].code, None, ORIGIN.ip, ORIGIN.port, ORIGIN.user_agent,
                     None, None, {"type": "text", "chars": 5, "message_id": 0, "seq": 42})
    assert len(by_statement["log"]) == 6
    assert by_statement["partitions"] == {f"{LogEntry._meta.db_table}_y{now:%Y}m{now:%m}"}  # through the parent
