"""The daily tier sweep (G7a) at scale: ``python -m bench.sweep [--groups 100000]``.

Creates its own database ``gc_bench_sweep`` (dropped and recreated), migrates it, COPYs N groups with sizes and
seq counters spread over every tier plus a 30-days-ago activity snapshot for each, then times ``tiers_sweep_run``
twice (the second run shows it is idempotent: nothing re-tiered) and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import time
from datetime import UTC, date, datetime, timedelta

import psycopg2

from .common import PY, ROOT, db_url, machine, write_result
from .data import _copy, recreate_database

DB = "gc_bench_sweep"


def _fill(n_groups: int) -> float:
    started = time.perf_counter()
    conn = psycopg2.connect(db_url(DB))
    rng = random.Random(7)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO accounts_user (username, nickname, password, language, verification_level, "
                    "is_staff, is_active, is_superuser, date_joined, credit_score) VALUES "
                    "('sweep-owner', 'owner', '!', 'zh-hans', 2, false, true, false, now(), 80) RETURNING id")
        (owner,) = cur.fetchone()
        cur.execute("SELECT id, max_members FROM groups_tierpolicy ORDER BY rank")
        tiers = cur.fetchall()
        now = datetime.now(UTC).isoformat()

        def groups():
            for i in range(1, n_groups + 1):
                tier_id, cap = tiers[0] if i % 10 else tiers[1]
                # 1 in 200 groups is larger than its tier (an operator lowered a cap): the sweep moves it up.
                members = rng.randint(1, cap) if i % 200 else cap + rng.randint(1, 50)
                body = str(100_000_000 + i)
                code = body + str(i % 10)  # codes need only be unique here
                yield (code, f"g{i}", "interest", "", "rules", "open", None, "", False, "approval", "", True,
                       tier_id, 0.0, "quiet", "", cap, members, owner, None, rng.randint(0, 60_000), now, now, None)

        cols = ["code", "name", "category", "announcement", "rules", "status", "status_until", "status_reason",
                "all_muted", "join_mode", "join_question", "is_public", "tier_id", "activity_avg", "activity_band",
                "size_band", "member_cap", "member_count", "owner_id", "pending_owner_id", "last_seq",
                "last_message_at", "created_at", "closed_at"]
        _copy(cur, "groups_group", cols, groups())
        past = (date.today() - timedelta(days=30)).isoformat()
        cur.execute("INSERT INTO groups_groupactivityday (group_id, day, last_seq, member_count) "
                    "SELECT id, %s, last_seq / 2, member_count FROM groups_group", [past])
        cur.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


_RUN = """
import json, time, django
django.setup()
from groups.services.tiers import tiers_sweep_run
out = []
for _ in range(2):
    t = time.perf_counter(); result = tiers_sweep_run(); out.append({"seconds": time.perf_counter() - t, **result})
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=100_000)
    args = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": db_url(DB), "DJANGO_SETTINGS_MODULE": "groupchat.settings",
           "GROUPCHAT_ENV": "dev", "REDIS_URL": ""}
    recreate_database(DB)
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    fill_s = _fill(args.groups)
    done = subprocess.run([PY, "-c", _RUN], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    runs = json.loads(done.stdout.strip().splitlines()[-1])
    result = {"scenario": "sweep", "groups": args.groups, "fill_seconds": round(fill_s, 2), "runs": runs,
              "machine": machine()}
    path = write_result("sweep", result)
    print(f"tier sweep over {args.groups:,} groups (filled in {fill_s:.1f} s):")
    for n, run in enumerate(runs, 1):
        print(f"  run {n}: {run['seconds']:.2f} s, re-tiered {run['retiered']}, "
              f"bands changed quiet/active/busy {run['band_quiet']}/{run['band_active']}/{run['band_busy']}")
    print(f"  -> {path}")


if __name__ == "__main__":
    main()
