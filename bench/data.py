"""The bench databases: one per schema of the code under test, made once and reused, filled by ``bench.jobs``.

Layout of the main database (disjoint user ranges, so a socket is subscribed only to the group its scenario drives):

    ingest    users 1..40          40 members  (20 senders + 20 receivers)
    fanout    users 41..2041     2001 members  (1 sender + up to 2000 receivers)
    history   users 2042..2051     10 members  (plus 100 "spread" groups of the same users)

Every user gets the DRF token ``sha1("bench-<id>")``. The baseline project has the same user ids in its own database.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
from stdnum import luhn

from .common import DB_PREFIX, PG_ADMIN_URL, PY, REDIS, RESULTS, ROOT, Code, code_env, db_url, redis_url

GROUPS = {"ingest": (1, 40), "fanout": (41, 2001), "history": (2042, 10)}  # name -> (first user, members)
N_USERS = 2051
N_SPREAD = 100  # groups of the history users that take --spread messages
BASE_DB = f"{DB_PREFIX}_baseline"


def token_for(user_id: int) -> str:
    return hashlib.sha1(f"bench-{user_id}".encode()).hexdigest()


def group_code(group_id: int) -> str:
    body = str(100_000_000 + group_id * 7919)
    return body + luhn.calc_check_digit(body)


def group_id(name: str) -> int:
    return list(GROUPS).index(name) + 1


def member_ids(name: str) -> list[int]:
    first, n = GROUPS[name]
    return list(range(first, first + n))


def _admin(sql: str, params: list | None = None) -> list:
    conn = psycopg2.connect(PG_ADMIN_URL)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def recreate_database(name: str) -> None:
    _admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
           [name])
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')


def gc_env(code: Code, db: str, redis_db: int = REDIS["groupchat"]) -> dict[str, str]:
    """A groupchat process of ``code`` on the bench database ``db``, the send rate limit lifted (bench data lifts
    the grades' rates too): the bench measures the path, not the limiter."""
    return code_env(code, {"DATABASE_URL": db_url(db), "REDIS_URL": redis_url(redis_db), "GROUPCHAT_ENV": "dev",
                           "DEBUG": "0", "DJANGO_SETTINGS_MODULE": "groupchat.settings", "LOG_LEVEL": "WARNING",
                           "GROUPCHAT_SEND_RATE": "100000/second"})


def baseline_env() -> dict[str, str]:
    """The baseline project (bench/baseline, always from this tree) on its database and Redis db."""
    return code_env(Code(ROOT, "worktree", ""), {"DJANGO_SETTINGS_MODULE": "bench.baseline.settings",
                                                 "BASELINE_DATABASE_URL": db_url(BASE_DB),
                                                 "BASELINE_REDIS_URL": redis_url(REDIS["baseline"])})


def job(code: Code, db: str, *args: str, stdin: Any = None, timeout: float = 3600) -> dict[str, Any]:
    """``python -m bench.jobs ARGS`` under ``code``'s Django on ``db``; its last line of output, as JSON. Progress
    and errors go to this process's stderr."""
    out = subprocess.run([PY, "-m", "bench.jobs", *args], cwd=code.pythonpath, env=gc_env(code, db), text=True,
                         input=None if stdin is None else json.dumps(stdin), stdout=subprocess.PIPE, timeout=timeout)
    if out.returncode:
        raise SystemExit(f"bench.jobs {args[0]} failed (traceback above)")
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextmanager
def background_job(code: Code, db: str, *args: str):
    """``python -m bench.jobs ARGS`` alongside a load: started, its first JSON line (ready) awaited, then stopped by
    closing its stdin when the block ends. Yields a dict that holds ``ready`` and, afterwards, ``result``."""
    proc = subprocess.Popen([PY, "-m", "bench.jobs", *args], cwd=code.pythonpath, env=gc_env(code, db), text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out: dict[str, Any] = {}
    try:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"bench.jobs {args[0]} exited before it was ready (traceback above)")
        out["ready"] = json.loads(line)
        yield out
    finally:
        proc.stdin.close()
        rest = proc.stdout.read()
        proc.wait(timeout=600)
        if proc.returncode == 0 and rest.strip():
            out["result"] = json.loads(rest.strip().splitlines()[-1])


def migrate(code: Code, db: str) -> None:
    recreate_database(db)
    subprocess.run([PY, str(code.dir / "manage.py"), "migrate", "--noinput", "-v0"], cwd=code.pythonpath,
                   env=gc_env(code, db), check=True, timeout=600)


def schema_key(code: Code, *parts: str) -> str:
    """What a bench database depends on: the code's migrations, the generator and ``parts`` (a layout)."""
    digest = hashlib.sha1()
    files = sorted([*code.dir.glob("*/migrations/*.py"), *code.dir.glob("*/*/migrations/*.py")])
    for name, path in [*((str(p.relative_to(code.dir)), p) for p in files), ("jobs", ROOT / "bench" / "jobs.py"),
                       ("data", Path(__file__))]:
        digest.update(name.encode())
        digest.update(path.read_bytes())
    for part in parts:
        digest.update(part.encode())
    return digest.hexdigest()[:10]


def ensure_seeded(code: Code, prefix: str, spec: dict[str, Any]) -> str:
    """The database for ``code``'s schema and ``spec`` (users and groups), made and filled unless already there;
    its name. Revisions with the same migrations share one."""
    db = f"{prefix}_{schema_key(code, json.dumps(spec))}"
    marker = RESULTS / f".seeded-{db}"
    if not marker.exists() or not _admin("SELECT 1 FROM pg_database WHERE datname = %s", [db]):
        print(f"setting up {db} for {code.label} ...", flush=True)
        migrate(code, db)
        job(code, db, "seed", stdin=spec)
        RESULTS.mkdir(parents=True, exist_ok=True)
        marker.write_text(code.label)
    return db


def ensure(code: Code, *, history: int = 0, spread: int = 0) -> str:
    """The main bench database for ``code`` (and the baseline's), with at least ``history`` messages in the history
    group and ``spread`` over the spread groups; its name."""
    first, n = GROUPS["history"]
    groups = [[group_id(name), name, member_ids(name)] for name in GROUPS]
    groups += [[len(GROUPS) + k + 1, f"spread-{k}", list(range(first, first + n))] for k in range(N_SPREAD)]
    db = ensure_seeded(code, DB_PREFIX, {"users": N_USERS, "groups": groups})
    if history or spread:
        print(json.dumps(job(code, db, "history", str(group_id("history")), str(history), str(len(GROUPS) + 1),
                             str(N_SPREAD), str(spread))), flush=True)
    if not (RESULTS / f".seeded-{BASE_DB}").exists():
        recreate_database(BASE_DB)
        env = baseline_env()
        for syncdb in ([], ["--run-syncdb"]):  # auth's tables first: the chat's table refers to auth_user
            subprocess.run([PY, "-m", "django", "migrate", *syncdb, "--noinput", "-v0"], cwd=ROOT, env=env,
                           check=True, timeout=600)
        subprocess.run([PY, "-m", "bench.jobs", "seed-baseline", str(N_USERS)], cwd=ROOT, env=env, check=True)
        (RESULTS / f".seeded-{BASE_DB}").write_text("baseline")
    return db
