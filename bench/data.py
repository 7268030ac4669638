"""Dedicated bench databases and a fast data generator (COPY through psycopg2's copy_expert).

Layout (disjoint user ranges, so a socket is subscribed only to the group its scenario drives):

    ingest    users 1..40          40 members  (20 senders + 20 receivers)
    fanout    users 41..2041     2001 members  (1 sender + up to 2000 receivers)
    scaleout  users 2042..2241    200 members  (spread over two server processes)
    history   users 2242..2251     10 members  (``--history`` messages, default 1,000,000)
    spread-*  100 groups of the history users (``--spread`` messages spread over them)

Every user gets a DRF token ``sha1("bench-<id>")`` and the password ``bench-password-1``. The baseline project gets the
same user ids in its own database (its rooms are just names).
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
from stdnum import luhn

from .common import BASE_DB, GC_DB, GC_REDIS_DB, PG_ADMIN_URL, PY, ROOT, app_dir, db_url, redis_url

PASSWORD = "bench-password-1"
_SALT = "benchsalt0123456"
_ITER = 1000  # low on purpose: logins are not what is measured; Django upgrades the hash on login


@dataclass(frozen=True)
class GroupSpec:
    name: str
    first_user: int
    members: int


GROUPS = [
    GroupSpec("ingest", 1, 40),
    GroupSpec("fanout", 41, 2001),
    GroupSpec("scaleout", 2042, 200),
    GroupSpec("history", 2242, 10),
]
N_USERS = 2251
N_SPREAD_GROUPS = 100


def token_for(user_id: int) -> str:
    return hashlib.sha1(f"bench-{user_id}".encode()).hexdigest()


def group_code(group_id: int) -> str:
    body = str(100_000_000 + group_id * 7919)
    return body + luhn.calc_check_digit(body)


def group_id_of(name: str) -> int:
    return [g.name for g in GROUPS].index(name) + 1


def member_ids(name: str) -> list[int]:
    spec = GROUPS[group_id_of(name) - 1]
    return list(range(spec.first_user, spec.first_user + spec.members))


def _password_hash() -> str:
    digest = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), _SALT.encode(), _ITER)
    return f"pbkdf2_sha256${_ITER}${_SALT}${base64.b64encode(digest).decode()}"


def _ts(dt: datetime) -> str:
    return dt.isoformat()


class _CopyReader(io.TextIOBase):
    """A file for ``copy_expert`` that renders rows (tuples; None -> NULL) to COPY text as PostgreSQL reads it.

    One COPY streams any number of rows with only a read's worth of text in memory, and PostgreSQL parses and
    indexes one piece while Python renders the next (the two ran in turn with buffered chunks)."""

    BATCH = 2_000

    def __init__(self, rows, progress=None, every: int = 100_000) -> None:
        self._rows = iter(rows)
        self._parts: list[str] = []
        self._len = 0
        self._done = False
        self._progress = progress
        self._every = every
        self._next_report = every
        self.n = 0

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        lines = ["\t".join([_copy_text(v) for v in row]) for row in itertools.islice(self._rows, self.BATCH)]
        if not lines:
            self._done = True
            return
        self.n += len(lines)
        text = "\n".join(lines) + "\n"
        self._parts.append(text)
        self._len += len(text)
        if self._progress is not None and self.n >= self._next_report:
            self._next_report += self._every
            self._progress(self.n)

    def read(self, size: int | None = -1) -> str:
        while not self._done and (size is None or size < 0 or self._len < size):
            self._fill()
        text = "".join(self._parts)
        if size is None or size < 0 or len(text) <= size:
            out, rest = text, ""
        else:
            out, rest = text[:size], text[size:]
        self._parts = [rest] if rest else []
        self._len = len(rest)
        return out


def _copy(cur, table: str, columns: list[str], rows, progress=None) -> int:
    """COPY rows (tuples; None -> NULL) into table as one streamed COPY (see _CopyReader): ten million rows never
    sit in memory. ``progress(rows_so_far)`` (optional) is called every 100k rows."""
    reader = _CopyReader(rows, progress)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", reader, size=1 << 18)
    return reader.n


def _reset_identity(cur, table: str) -> None:
    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 1))")


def _admin():
    conn = psycopg2.connect(PG_ADMIN_URL)
    conn.autocommit = True
    return conn


def database_exists(name: str) -> bool:
    with _admin() as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cur.fetchone() is not None


def recreate_database(name: str) -> None:
    conn = _admin()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                        "pg_backend_pid()", [name])
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def gc_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.update({
        "DATABASE_URL": db_url(GC_DB),
        "REDIS_URL": redis_url(GC_REDIS_DB),
        "GROUPCHAT_ENV": "dev",
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "groupchat.settings",
        "GROUPCHAT_SEND_RATE": "100000/second",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": f"{app_dir()}:{ROOT}",  # the code under test first, then bench/ from the work tree
    })
    env.update(extra or {})
    return env


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    import os

    from .common import BASE_REDIS_DB

    env = dict(os.environ)
    env.update({
        "BASELINE_DATABASE_URL": db_url(BASE_DB),
        "BASELINE_REDIS_URL": redis_url(BASE_REDIS_DB),
        "DJANGO_SETTINGS_MODULE": "bench.baseline.settings",
        "PYTHONPATH": str(ROOT),
    })
    env.update(extra or {})
    return env


def _migrate(cmd: list[str], env: dict[str, str], cwd=None) -> None:
    subprocess.run(cmd, cwd=cwd or ROOT, env=env, check=True, timeout=600)


def setup_groupchat(*, history: int = 0, spread: int = 0) -> dict[str, Any]:
    """Drop, create and migrate gc_bench, then COPY users, tokens, groups, memberships (and history if asked)."""
    t0 = time.monotonic()
    recreate_database(GC_DB)
    _migrate([PY, "manage.py", "migrate", "--noinput", "-v0"], gc_env(), cwd=app_dir())
    t_migrate = time.monotonic() - t0
    result = {"migrate_s": round(t_migrate, 1), **_in_django("fill", "0", "0")}
    if history or spread:
        result.update(fill_history(history=history, spread=spread))
    result["total_s"] = round(time.monotonic() - t0, 1)
    return result


def fill_history(*, history: int, spread: int) -> dict[str, Any]:
    """COPY ``history`` messages into the history group and ``spread`` more over the 100 spread groups.

    Streams: rows are generated one at a time and COPYed in 100k-row chunks (10,000,000 rows never sit in memory;
    the result reports the generator's peak RSS), in one transaction, then ``VACUUM ANALYZE``. Progress goes to stderr.
    """
    # ~20-60k rows/s on the 2-core box: allow for it, with a floor for small fills
    return _in_django("history", str(history), str(spread), timeout=1800 + (history + spread) / 2000, progress=True)


def _in_django(*args: str, timeout: float = 1800, progress: bool = False) -> dict[str, Any]:
    """Run the generator under groupchat's settings (it reads the models' defaults for columns it does not set)."""
    import json

    # with progress, the child's stderr (progress lines, and a traceback if it fails) goes straight to ours
    out = subprocess.run([PY, "-m", "bench.data", *args], cwd=app_dir(), env=gc_env(), stdout=subprocess.PIPE,
                         stderr=None if progress else subprocess.PIPE, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"bench.data {args} failed:\n{(out.stderr or '(stderr above)')[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- inside Django (python -m bench.data ...) ---------------------------------------------------------------------
def _copy_text(v: Any) -> str:
    t = type(v)
    if t is int:
        return str(v)
    if t is str:
        if "\\" in v or "\t" in v or "\n" in v or "\r" in v:
            return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return v
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, (dict, list)):
        v = json.dumps(v, ensure_ascii=False)
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_model(cur, model, rows, progress=None) -> int:
    """COPY dict rows into ``model``'s table; columns a row does not give take the model field's default (or NULL)."""
    from django.db import connection

    # Only the columns the migrated table has (a model may be ahead of its migrations while others work on it).
    with connection.cursor() as c:
        in_db = {col.name for col in connection.introspection.get_table_description(c, model._meta.db_table)}
    fields = [f for f in model._meta.concrete_fields if f.column in in_db]
    first = next(iter(rows), None) if not isinstance(rows, list) else (rows[0] if rows else None)
    if first is None:
        return 0
    given = set(first)
    plan = []
    for f in fields:
        key = f.attname if f.attname in given else (f.name if f.name in given else None)
        if key is not None:
            plan.append((f.column, key, None))
        elif f.has_default():
            plan.append((f.column, None, f))
        elif f.null or (f.primary_key and f.get_internal_type().endswith("AutoField")):
            continue  # NULL, or the identity column numbers the row
        elif f.blank and f.empty_strings_allowed:
            plan.append((f.column, None, f))  # get_default() gives "" for a blank text field
        else:
            raise RuntimeError(f"{model.__name__}.{f.name} has no default: the bench generator must set it")

    def gen():
        yield first
        yield from rows

    def lines():
        consts = {f.column: f.get_default() for _, _, f in plan if f is not None and not callable(f.default)}
        for row in gen() if not isinstance(rows, list) else rows:
            vals = []
            for column, key, f in plan:
                if key is not None:
                    vals.append(row[key])
                elif column in consts:
                    vals.append(consts[column])
                else:
                    vals.append(f.get_default())
            yield vals

    return _copy(cur, model._meta.db_table, [c for c, _, _ in plan], lines(), progress)


def _django_fill() -> dict[str, Any]:
    from django.db import connection, transaction
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from groups.models import Group, GroupCode, Membership

    now = datetime.now(UTC)
    counts: dict[str, int] = {}
    pw = _password_hash()
    groups = [(i + 1, g.name, g.first_user, g.members) for i, g in enumerate(GROUPS)]
    hist = GROUPS[-1]
    for k in range(N_SPREAD_GROUPS):
        groups.append((len(GROUPS) + k + 1, f"spread-{k}", hist.first_user, hist.members))
    with transaction.atomic(), connection.cursor() as c:
        cur = c.cursor  # the psycopg2 cursor, for copy_expert
        cur.execute("SET LOCAL synchronous_commit = off")
        counts["users"] = copy_model(cur, User, (
            {"id": i, "password": pw, "is_superuser": False, "username": f"bench{i}", "nickname": f"压测{i}",
             "language": "en", "verification_level": 1, "is_staff": False, "is_active": True, "date_joined": now}
            for i in range(1, N_USERS + 1)))
        _reset_identity(cur, User._meta.db_table)
        counts["tokens"] = copy_model(cur, Token, ({"key": token_for(i), "created": now, "user_id": i}
                                                   for i in range(1, N_USERS + 1)))
        copy_model(cur, GroupCode, [{"code": group_code(gid), "issued_at": now} for gid, *_ in groups])
        counts["groups"] = copy_model(cur, Group, [
            {"id": gid, "code": group_code(gid), "name": f"bench {name}", "category": "bench", "status": "open",
             "join_mode": "open", "is_public": True, "member_cap": 5000, "member_count": n, "last_seq": 0,
             "created_at": now, "owner_id": first, "all_muted": False, "announcement": "", "rules": ""}
            for gid, name, first, n in groups])
        _reset_identity(cur, Group._meta.db_table)

        def memberships():
            mid = 0
            for gid, _name, first, n in groups:
                for uid in range(first, first + n):
                    mid += 1
                    yield {"id": mid, "role": "owner" if uid == first else "member", "joined_at": now,
                           "last_read_seq": 0, "group_id": gid, "user_id": uid}

        counts["memberships"] = copy_model(cur, Membership, memberships())
        _reset_identity(cur, Membership._meta.db_table)
        counts.update(_pass_gates(cur, now))
    # Statistics for the planner, as autovacuum would gather them soon after on a live system: without them the gate
    # statement probed agreement acceptances through the wrong index (100 ms for 100 senders instead of 1 ms).
    with connection.cursor() as c:
        c.execute("ANALYZE")
    return counts


def _pass_gates(cur, now) -> dict[str, Any]:
    """Let every bench user through the accounts gates of the send path (when that app has them).

    Current agreements accepted (COPY), and the per-grade message rate lifted like GROUPCHAT_SEND_RATE, so the bench
    measures the path, not the limiter. Both are data an operator edits (agreements, the admin's grade table).
    """
    out: dict[str, Any] = {}
    try:
        from accounts.models import Agreement, AgreementAcceptance, GradePermission
    except ImportError:
        return out
    try:
        from accounts.selectors import agreements_current

        current = agreements_current()
    except ImportError:
        current = list(Agreement.objects.filter(published_at__isnull=False))
    out["agreement_acceptances"] = copy_model(cur, AgreementAcceptance, (
        {"user_id": i, "agreement_id": a.pk, "accepted_at": now} for i in range(1, N_USERS + 1) for a in current))
    rate = "100000/second"
    updated = GradePermission.objects.update(message_rate=rate)
    try:
        from accounts.conf import conf

        for grade, values in conf("GRADE_PERMISSIONS").items():
            GradePermission.objects.get_or_create(grade=grade, defaults={**values, "message_rate": rate})
    except (ImportError, KeyError):
        pass
    out["grade_message_rate"] = f"{rate} ({updated} rows updated)"
    return out


def _django_history(history: int, spread: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from groups.models import Group, Message

    t0 = time.monotonic()
    hist = GROUPS[-1]
    hist_gid = group_id_of("history")
    start = datetime.now(UTC) - timedelta(days=30)
    per_spread = spread // N_SPREAD_GROUPS if spread else 0
    last = dict(Group.objects.values_list("id", "last_seq"))
    next_id = (Message.objects.order_by("-id").values_list("id", flat=True).first() or 0)
    plan = [(hist_gid, history)] + [(len(GROUPS) + k + 1, per_spread) for k in range(N_SPREAD_GROUPS) if per_spread]

    def rows():
        mid = next_id
        for gid, n in plan:
            base = last[gid]
            step = 30 * 86400 / max(n, 1)
            for j in range(1, n + 1):
                mid += 1
                seq = base + j
                # zero-padded, so each sender's client_ids ascend and the unique (sender_id, client_id) index is
                # appended to rather than written at random
                yield {"id": mid, "seq": seq, "client_id": f"h{gid:03d}-{seq:09d}", "kind": "text",
                       "body": f"history message {seq} of group {gid}: lorem ipsum dolor sit amet 压测",
                       "created_at": start + timedelta(seconds=j * step), "removed_reason": "", "group_id": gid,
                       "sender_id": hist.first_user + (seq % hist.members)}
            last[gid] = base + n

    import resource
    import sys

    total = history + per_spread * N_SPREAD_GROUPS
    every = max(1_000_000, total // 10)
    mark = {"next": every}

    def progress(done: int) -> None:
        if done >= mark["next"]:
            mark["next"] += every
            dt = time.monotonic() - t0
            print(f"  history fill: {done:,}/{total:,} rows in {dt:.0f}s ({done / dt:,.0f} rows/s)", file=sys.stderr,
                  flush=True)

    with transaction.atomic(), connection.cursor() as c:
        cur = c.cursor
        cur.execute("SET LOCAL synchronous_commit = off")
        n = copy_model(cur, Message, rows(), progress)
        _reset_identity(cur, Message._meta.db_table)
        for gid, seq in last.items():
            cur.execute(f"UPDATE {Group._meta.db_table} SET last_seq = %s, last_message_at = now() WHERE id = %s",
                        [seq, gid])
    t_copy = time.monotonic() - t0
    with connection.cursor() as c:
        c.execute(f"VACUUM ANALYZE {Message._meta.db_table}")
        c.execute(f"SELECT count(*) FROM {Message._meta.db_table}")
        in_table = c.fetchone()[0]
    dt = time.monotonic() - t0
    return {"history_messages": history, "spread_messages": per_spread * N_SPREAD_GROUPS, "copied": n,
            "messages_in_table": in_table, "copy_s": round(t_copy, 1), "vacuum_analyze_s": round(dt - t_copy, 1),
            "history_fill_s": round(dt, 1), "copy_rows_per_s": round(n / max(t_copy, 1e-9)),
            "generator_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _scalar(sql: str, params: list) -> int:
    """One integer from the bench database, -1 when there is no database (or schema) yet."""
    if not database_exists(GC_DB):
        return -1
    conn = psycopg2.connect(db_url(GC_DB))
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
            return int(row[0]) if row and row[0] is not None else -1
    except psycopg2.Error:
        return -1
    finally:
        conn.close()


def history_size() -> int:
    return _scalar("SELECT last_seq FROM groups_group WHERE id = %s", [group_id_of("history")])


def spread_size() -> int:
    """Messages now in the spread groups (the sum of their last_seq), -1 without a database."""
    return _scalar("SELECT COALESCE(sum(last_seq), 0) FROM groups_group WHERE id > %s", [len(GROUPS)])


def setup_baseline() -> dict[str, Any]:
    t0 = time.monotonic()
    recreate_database(BASE_DB)
    _migrate([PY, "-m", "django", "migrate", "--noinput", "-v0"], base_env())
    now = datetime.now(UTC)
    conn = psycopg2.connect(db_url(BASE_DB))
    with conn, conn.cursor() as cur:
        pw = _password_hash()
        n = _copy(cur, "auth_user", ["id", "password", "is_superuser", "username", "first_name", "last_name", "email",
                                     "is_staff", "is_active", "date_joined"],
                  ((i, pw, "f", f"bench{i}", "", "", "", "f", "t", _ts(now)) for i in range(1, N_USERS + 1)))
        _reset_identity(cur, "auth_user")
    conn.close()
    return {"users": n, "total_s": round(time.monotonic() - t0, 1)}


def _marker():
    from .common import RESULTS

    return RESULTS / f".setup-{GC_DB}.txt"


def schema_key(app: Path) -> str:
    """What the bench database depends on: the migrations of the code under test and this generator."""
    digest = hashlib.sha1()
    migrations = sorted([*app.glob("*/migrations/*.py"), *app.glob("groupchat/*/migrations/*.py")])
    # Named the same whether the code under test is a snapshot or the work tree, so both share one database.
    for name, path in [*((str(p.relative_to(app)), p) for p in migrations), ("data.py", Path(__file__))]:
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _built_for_this_schema(built_for: str) -> bool:
    from .common import app_dir, app_sha

    if not built_for:
        return False
    sha, _, key = built_for.partition(" ")
    if key:  # a commit whose migrations and generator are the same needs no rebuild (a 10M-row fill takes minutes)
        return key == schema_key(app_dir())
    return sha == app_sha() and sha != "worktree"  # a marker from before schema keys


def ensure(*, history: int = 0, spread: int = 0, force: bool = False) -> dict[str, Any]:
    """Set up both databases unless they are already there for this schema (and big enough for ``history``)."""
    from .common import app_dir, app_sha

    out: dict[str, Any] = {}
    size = history_size()
    marker = _marker()
    built_for = marker.read_text().strip() if marker.exists() else ""
    if force or size < 0 or not _built_for_this_schema(built_for):
        out["groupchat"] = setup_groupchat(history=history, spread=spread)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{app_sha()} {schema_key(app_dir())}")
    elif " " not in built_for:
        marker.write_text(f"{built_for} {schema_key(app_dir())}")
    elif (history and size < history) or (spread and spread_size() < spread - N_SPREAD_GROUPS):
        # top up what is missing (spread is per group, spread // 100 each: allow for the rounding)
        out["groupchat_history"] = fill_history(history=max(0, history - size),
                                                spread=max(0, spread - max(spread_size(), 0)))
    if force or not database_exists(BASE_DB):
        out["baseline"] = setup_baseline()
    return out


if __name__ == "__main__":
    import json
    import sys

    import django

    django.setup()
    if sys.argv[1] == "fill":
        print(json.dumps(_django_fill()))
    elif sys.argv[1] == "history":
        print(json.dumps(_django_history(int(sys.argv[2]), int(sys.argv[3]))))
