"""Jobs run inside the Django of the code under test: ``python -m bench.jobs JOB ARGS`` prints one JSON line.

- ``seed`` (spec on stdin: users, groups with member ids): users, tokens, groups, memberships and the send path's
  gates passed, by COPY; columns the generator does not set take the model field's default, so new fields with
  defaults need no change here (a new NOT NULL field without one stops the seed with its name).
- ``history GID N SPREAD_FROM SPREAD_GROUPS SPREAD``: top the history group up to N messages and the spread groups to
  SPREAD between them, as one streamed COPY (ten million rows never sit in memory), then VACUUM ANALYZE.
- ``pages GID PAGE``: the SQL the code sends for the newest history page and the page PAGE back.
- ``sweep N``: N groups over every tier, then the daily tier sweep (G7a) timed twice (the second is idempotent).
- ``seed-baseline N``: users 1..N in the baseline project's database.
- ``seal-loop INTERVAL SETTLE``: the network log's sealer (G13b) as its beat runs it, but every INTERVAL seconds with
  a SETTLE-second settling time, so the rows a load writes are sealed while it runs. Catches up first and prints
  ``{"ready": ...}``; then seals until stdin closes and prints what it sealed and its CPU seconds.
"""

from __future__ import annotations

import io
import itertools
import json
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import django


def _text(v: Any) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, (dict, list)):
        v = json.dumps(v, ensure_ascii=False)
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class _Rows(io.TextIOBase):
    """A file for ``copy_expert`` that renders rows to COPY text as PostgreSQL reads it."""

    def __init__(self, rows) -> None:
        self.rows, self.buf, self.n = iter(rows), "", 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        size = size if size and size > 0 else 1 << 30
        while len(self.buf) < size:
            lines = ["\t".join(map(_text, row)) for row in itertools.islice(self.rows, 2000)]
            if not lines:
                break
            self.n += len(lines)
            self.buf += "\n".join(lines) + "\n"
        out, self.buf = self.buf[:size], self.buf[size:]
        return out


def copy(cur, table: str, columns: list[str], rows) -> int:
    reader = _Rows(rows)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", reader, size=1 << 18)
    if "id" in columns:  # rows with given ids: the identity continues after them
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    return reader.n


def copy_model(cur, model, rows) -> int:
    """COPY dict rows (each with the first row's keys) into ``model``'s table; other columns take the field's
    default."""
    from django.db import connection

    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    given = set(first)
    rows = itertools.chain([first], rows)

    with connection.cursor() as c:  # only the migrated columns: a model may be ahead of its migrations
        in_db = {col.name for col in connection.introspection.get_table_description(c, model._meta.db_table)}
    plan = []
    for f in model._meta.concrete_fields:
        key = f.attname if f.attname in given else (f.name if f.name in given else None)
        if f.column not in in_db or ((key is None and (f.null or f.primary_key)) and not f.has_default()):
            continue
        if key is None and not f.has_default() and not (f.blank and f.empty_strings_allowed):
            raise RuntimeError(f"{model.__name__}.{f.name} has no default: the bench generator must set it")
        plan.append((f.column, key, f))
    const = {f.column: f.get_default() for _, key, f in plan if key is None and not callable(f.default)}
    lines = ([row[key] if key else const[col] if col in const else f.get_default() for col, key, f in plan]
             for row in rows)
    return copy(cur, model._meta.db_table, [col for col, _, _ in plan], lines)


def seed(spec: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection, transaction
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from bench.data import group_code, token_for
    from groups.models import Group, GroupCode, Membership

    now, users, out = datetime.now(UTC), range(1, spec["users"] + 1), {}
    with transaction.atomic(), connection.cursor() as c:
        cur = c.cursor  # psycopg2's, for copy_expert
        cur.execute("SET LOCAL synchronous_commit = off")
        out["users"] = copy_model(cur, User, ({"id": i, "password": "!", "username": f"bench{i}", "nickname": f"压测{i}",
                                               "language": "en", "verification_level": 1, "date_joined": now}
                                              for i in users))
        copy_model(cur, Token, ({"key": token_for(i), "created": now, "user_id": i} for i in users))
        copy_model(cur, GroupCode, ({"code": group_code(g), "issued_at": now} for g, _, _ in spec["groups"]))
        out["groups"] = copy_model(cur, Group, (
            {"id": g, "code": group_code(g), "name": f"bench {name}", "category": "bench", "status": "open",
             "join_mode": "open", "is_public": True, "member_cap": 5000, "member_count": len(ms), "owner_id": ms[0],
             "created_at": now} for g, name, ms in spec["groups"]))
        out["memberships"] = copy_model(cur, Membership, (
            {"role": "owner" if k == 0 else "member", "joined_at": now, "group_id": g, "user_id": uid}
            for g, _, ms in spec["groups"] for k, uid in enumerate(ms)))
        _pass_gates(cur, now, users, out)
    with connection.cursor() as c:
        c.execute("ANALYZE")  # the planner's statistics, as autovacuum gathers them soon after on a live system
    return out


def _pass_gates(cur, now: datetime, users: range, out: dict[str, Any]) -> None:
    """Every bench user has accepted the current agreements, and the grades' message rate is lifted (data an
    operator edits): every gate of the send path runs and passes."""
    from accounts.models import AgreementAcceptance, GradePermission
    from accounts.selectors import agreements_current

    current = list(agreements_current())
    out["acceptances"] = copy_model(cur, AgreementAcceptance, (
        {"user_id": i, "agreement_id": a.pk, "accepted_at": now} for i in users for a in current))
    out["grades_lifted"] = GradePermission.objects.update(message_rate="100000/second")


def history(gid: int, n: int, spread_from: int, spread_groups: int, spread: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from groups.models import Group, Membership, Message

    last = dict(Group.objects.values_list("id", "last_seq"))
    per_group = spread // spread_groups
    want = {gid: n, **{g: per_group for g in range(spread_from, spread_from + spread_groups)}}
    plan = [(g, last[g], k - last[g]) for g, k in want.items() if k > last[g]]
    senders = {g: list(Membership.objects.filter(group_id=g).values_list("user_id", flat=True)) for g, _, _ in plan}
    start, t0 = datetime.now(UTC) - timedelta(days=30), time.monotonic()

    def rows():
        for g, base, count in plan:
            step = 30 * 86400 / count
            for j in range(1, count + 1):
                seq = base + j
                # zero-padded: each sender's client_ids ascend, so the unique (sender, client_id) index is appended to
                yield {"seq": seq, "client_id": f"h{g:03d}-{seq:09d}", "kind": "text", "group_id": g,
                       "body": f"history message {seq} of group {g}: lorem ipsum dolor sit amet 压测",
                       "created_at": start + timedelta(seconds=j * step), "sender_id": senders[g][seq % len(senders[g])]}

    with transaction.atomic(), connection.cursor() as c:
        c.cursor.execute("SET LOCAL synchronous_commit = off")
        copied = copy_model(c.cursor, Message, rows())
        for g, base, count in plan:
            Group.objects.filter(pk=g).update(last_seq=base + count, last_message_at=datetime.now(UTC))
    t_copy = time.monotonic() - t0
    if copied:
        with connection.cursor() as c:
            c.execute(f"VACUUM ANALYZE {Message._meta.db_table}")
    return {"history_copied": copied, "copy_s": round(t_copy, 1), "vacuum_s": round(time.monotonic() - t0 - t_copy, 1)}


def pages(gid: int, page: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from groups import selectors
    from groups.models import Group

    group = Group.objects.get(pk=gid)
    out: dict[str, Any] = {"last_seq": group.last_seq, "before": {"newest": None,
                                                                  f"{page}_back": group.last_seq - (page - 1) * 50 + 1}}
    out["sql"] = {}
    for kind, before in out["before"].items():
        with CaptureQueriesContext(connection) as queries:
            selectors.message_page(group=group, before=before, limit=50)
        out["sql"][kind] = queries.captured_queries[-1]["sql"]
    return out


def sweep(n: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from accounts.models import User
    from groups.models import Group, TierPolicy
    from groups.services.tiers import tiers_sweep_run

    rng, now, t0 = random.Random(7), datetime.now(UTC), time.monotonic()
    owner = User.objects.create(username="sweep-owner", nickname="owner", password="!")
    tiers = list(TierPolicy.objects.order_by("rank").values_list("id", "max_members"))

    def groups():
        for i in range(1, n + 1):
            tier, cap = tiers[0] if i % 10 else tiers[1]
            # 1 in 200 groups is larger than its tier (an operator lowered a cap): the sweep moves it up
            yield {"code": f"{100_000_000 + i}{i % 10}", "name": f"g{i}", "category": "interest", "tier_id": tier,
                   "status": "open", "member_cap": cap, "owner_id": owner.pk, "created_at": now,
                   "member_count": rng.randint(1, cap) if i % 200 else cap + rng.randint(1, 50),
                   "last_seq": rng.randint(0, 60_000)}

    with transaction.atomic(), connection.cursor() as c:
        copy_model(c.cursor, Group, groups())
        c.execute("INSERT INTO groups_groupactivityday (group_id, day, last_seq, member_count) SELECT id, %s, "
                  "last_seq / 2, member_count FROM groups_group", [date.today() - timedelta(days=30)])
        c.execute("ANALYZE")
    out: dict[str, Any] = {"groups": n, "fill_s": round(time.monotonic() - t0, 1), "runs": []}
    for _ in range(2):
        t = time.perf_counter()
        result = tiers_sweep_run()
        out["runs"].append({"seconds": round(time.perf_counter() - t, 2), **result})
    return out


def seed_baseline(n: int) -> dict[str, Any]:
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as c:
        rows = ((i, "!", f"bench{i}", "", "", "", False, True, False, datetime.now(UTC)) for i in range(1, n + 1))
        return {"users": copy(c.cursor, User._meta.db_table, ["id", "password", "username", "first_name", "last_name",
                                                               "email", "is_staff", "is_active", "is_superuser",
                                                               "date_joined"], rows)}


def seal_loop(interval: int, settle: int) -> dict[str, Any]:
    import resource
    import select

    from compliance.services import seals

    seals.SEAL_SETTLE = timedelta(seconds=settle)  # the beat's 120 s would seal nothing a short run wrote
    t0 = time.perf_counter()
    caught_up = seals.seal_settled()
    print(json.dumps({"ready": True, "caught_up": caught_up, "catch_up_s": round(time.perf_counter() - t0, 2)}),
          flush=True)
    cpu0, made, busy = resource.getrusage(resource.RUSAGE_SELF), 0, 0.0
    while not select.select([sys.stdin], [], [], interval)[0]:  # stdin readable = closed by the runner: stop
        t = time.perf_counter()
        made += seals.seal_settled()
        busy += time.perf_counter() - t
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    return {"seals": made, "sealing_s": round(busy, 3),
            "cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 3)}


if __name__ == "__main__":
    django.setup()
    name, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    jobs = {"seed": lambda: seed(json.load(sys.stdin)), "history": lambda: history(*args),
            "pages": lambda: pages(*args), "sweep": lambda: sweep(*args), "seed-baseline": lambda: seed_baseline(*args),
            "seal-loop": lambda: seal_loop(*args)}
    print(json.dumps(jobs[name](), ensure_ascii=False, default=str))
