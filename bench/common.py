"""Where things live, which code is under test (a git worktree per revision), percentiles, the machine, JSON results."""

from __future__ import annotations

import fcntl
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CHECKOUTS = ROOT / "var" / "bench"
PY = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
HOST = "127.0.0.1"  # every byte of bench traffic stays on loopback
REDIS = {"groupchat": 10, "baseline": 11, "many": 13}  # Redis dbs of the bench (the test suite uses lower ones)
# Engineers benchmarking side by side on one box each name their own databases and Redis db.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "gc_bench")
REDIS["groupchat"] = int(os.environ.get("BENCH_REDIS_DB", REDIS["groupchat"]))


def db_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def redis_url(db: int) -> str:
    return f"redis://{HOST}:6379/{db}"


@dataclass(frozen=True)
class Code:
    """The code under test: a checkout of one revision. Servers and the jobs run from ``dir``; the driver and the
    bench package itself always come from this work tree (``pythonpath``), so old revisions run today's bench."""

    dir: Path
    sha: str
    label: str

    @property
    def pythonpath(self) -> str:
        return str(CHECKOUTS / "_path") if self.sha != "worktree" else str(ROOT)


def checkout(rev: str) -> Code:
    """``rev``'s tree as a detached ``git worktree`` under var/bench/ (made once, reused), or the live tree for
    ``worktree``. Engineers edit the live tree while benchmarks run; a checkout holds still."""
    if rev == "worktree":
        return Code(ROOT, "worktree", "worktree (uncommitted edits included)")
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    target = CHECKOUTS / sha[:12]
    if not (target / "manage.py").exists():
        subprocess.run(["git", "worktree", "add", "--detach", "--force", str(target), sha], cwd=ROOT, check=True,
                       capture_output=True)
    # A path entry holding only today's bench package, and a sitecustomize that drops the venv's editable finder
    # (it maps the project's packages to this work tree whatever sys.path says), so the checkout's code is imported.
    shim = CHECKOUTS / "_path"
    shim.mkdir(parents=True, exist_ok=True)
    if not (shim / "bench").exists():
        (shim / "bench").symlink_to(ROOT / "bench")
    (shim / "sitecustomize.py").write_text(
        "import sys\nsys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in getattr(f, '__module__', '')]\n")
    return Code(target, sha[:12], f"{rev} = {sha[:12]}")


def code_env(code: Code, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process running ``code`` (PYTHONPATH: the bench shim, then the checkout)."""
    return {**os.environ, "PYTHONPATH": f"{code.pythonpath}:{code.dir}", **(extra or {})}


def percentiles(values: list[float], scale: float = 1000.0) -> dict[str, float | int | None]:
    """n, p50/p95/p99/max (nearest rank) and mean of ``values`` in seconds, in ms (``scale``)."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    s = sorted(values)
    n = len(s)

    def rank(p: float) -> float:
        return round(s[min(n - 1, max(0, int(p * n + 0.999999) - 1))] * scale, 2)

    return {"n": n, "p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": round(s[-1] * scale, 2),
            "mean": round(sum(s) / n * scale, 2)}


def machine() -> dict[str, Any]:
    def first(path: str, key: str) -> str:
        try:
            return next((line.split(":", 1)[1].strip() for line in Path(path).read_text().splitlines()
                         if line.startswith(key)), "")
        except OSError:
            return ""

    def cmd(*args: str) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):  # a missing client only blanks one field
            return ""

    return {"nproc": os.cpu_count(), "cpu_model": first("/proc/cpuinfo", "model name"),
            "memory": first("/proc/meminfo", "MemTotal"), "kernel": platform.release(),
            "python": platform.python_version(), "postgres": cmd("psql", PG_ADMIN_URL, "-Atc", "show server_version"),
            "redis": cmd("redis-server", "--version").split(" ")[2:3],
            "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3]}


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    return path


def lock(wait: float = 0.0):
    """One bench run at a time: two on one box measure each other, and a setup or Redis flush would pull the rug
    from under the other. The returned file holds the lock until the process ends."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    fh = open(RESULTS / ".lock", "w")  # held, and the lock with it, for the life of the process
    deadline = time.monotonic() + wait
    for attempt in range(1_000_000):
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fh
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise SystemExit("another bench run is in progress (bench/results/.lock)") from None
            if attempt == 0:
                print(f"waiting up to {wait:.0f} s for another bench run to finish ...", flush=True)
            time.sleep(2)
    raise SystemExit("bench/results/.lock: gave up")


@dataclass(frozen=True)
class Scenario:
    """A scenario as data: what it runs, its options with their defaults (each a ``--flag`` of its command), and
    the figures ``compare`` reports, each with the direction that is better."""

    name: str
    run: Callable[[Code, Any], dict[str, Any]]  # (code under test, options) -> {"table": [...], "headline": {...}}
    title: str
    number: str = ""  # the scenario number, if it is one of them
    headline: dict[str, str] | None = None  # figure -> "higher" or "lower"
    options: dict[str, Any] | None = None


SCENARIOS: dict[str, Scenario] = {}


def register(name: str, run: Callable[[Code, Any], dict[str, Any]], *, title: str, number: str = "",
             headline: dict[str, str] | None = None, **options: Any) -> None:
    SCENARIOS[name] = Scenario(name, run, title, number, headline or {}, options)
