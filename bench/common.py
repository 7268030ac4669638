"""Shared bits: where things live, the services the bench talks to, percentiles, JSON results."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = sys.executable

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BASE = PG_ADMIN_URL.rsplit("/", 1)[0]
GC_DB = os.environ.get("BENCH_GC_DB", "gc_bench")
BASE_DB = os.environ.get("BENCH_BASE_DB", "gc_bench_baseline")
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
# Redis dbs 10+ only: 10 groupchat, 11 baseline (the test suite uses 5).
GC_REDIS_DB = int(os.environ.get("BENCH_GC_REDIS_DB", "10"))
BASE_REDIS_DB = int(os.environ.get("BENCH_BASE_REDIS_DB", "11"))
HOST = "127.0.0.1"  # every byte of bench traffic stays on loopback


def db_url(name: str) -> str:
    return f"{PG_BASE}/{name}"


def redis_url(db: int) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"


def percentiles(values: list[float], scale: float = 1000.0) -> dict[str, float | int | None]:
    """p50/p95/p99/max (nearest rank) of ``values`` in seconds, reported in ms (``scale``)."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    s = sorted(values)
    n = len(s)

    def rank(p: float) -> float:
        return round(s[min(n - 1, max(0, int(p * n + 0.999999) - 1))] * scale, 2)

    return {"n": n, "p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": round(s[-1] * scale, 2),
            "mean": round(sum(s) / n * scale, 2)}


def machine() -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass

    def cmd(*args: str) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:  # a missing client only blanks one field
            return ""

    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "mem_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": cmd("psql", PG_ADMIN_URL, "-Atc", "show server_version"),
        "redis": cmd("redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), "info", "server").split("redis_version:")[-1]
        .split()[0] if cmd("redis-cli", "-h", REDIS_HOST, "ping") else "",
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    return path


# --- which code is under test -------------------------------------------------------------------------------------
# Other engineers edit the work tree while benchmarks run, so by default the server under test (and the migrations
# and probes) run from a snapshot of a git ref (``git archive``, read-only on the repository), not the live tree.
_app = {"dir": ROOT, "ref": "worktree", "sha": "worktree"}


def use_app(ref: str) -> dict[str, str]:
    if ref == "worktree":
        _app.update(dir=ROOT, ref="worktree (uncommitted edits included)", sha="worktree")
        return dict(_app)
    sha = subprocess.run(["git", "rev-parse", ref], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    target = Path(os.environ.get("BENCH_SRC_DIR", "/tmp/groupchat-bench-src")) / sha[:12]
    if not (target / "manage.py").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.Popen(["git", "archive", sha, "--", ".", ":!bench"], cwd=ROOT, stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
        archive.wait()
    # The work tree's editable install resolves project submodules from the work tree whatever sys.path says; in the
    # snapshot's processes (it is first on PYTHONPATH) drop that finder so every project import comes from the snapshot.
    (target / "sitecustomize.py").write_text(
        "import sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in getattr(f, '__module__', '')]\n")
    _app.update(dir=target, ref=f"{ref} = {sha[:12]}", sha=sha[:12])
    return {"dir": str(target), "ref": _app["ref"]}


def app_dir() -> Path:
    return Path(_app["dir"])


def app_ref() -> str:
    return str(_app["ref"])


def app_sha() -> str:
    return str(_app["sha"])
