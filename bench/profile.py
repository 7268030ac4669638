"""Summarise a py-spy ``--format raw`` (collapsed stacks) profile of the server: where the samples fall.

Buckets are inclusive (a sample counts in every bucket whose pattern appears anywhere in its stack), so they overlap;
``self`` is the innermost frame. Percentages are of all samples of non-idle threads.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

BUCKETS = [
    ("message_send (whole service call)", r"message_send \(groups/services/messages\.py"),
    ("  SQL round trips (psycopg2 execute)", r"^execute \(django/db/backends/utils\.py|_execute \(django/db/backends"),
    ("  ORM query building (compiler)", r"django/db/models/sql/compiler\.py"),
    ("  model instantiation / save", r"save_base \(django/db/models/base\.py|__init__ \(django/db/models/base\.py"),
    ("  transaction commit", r"commit \(django/db/backends/base/base\.py|__exit__ \(django/db/transaction\.py"),
    ("  network log record()", r"record \(groupchat/core/events\.py"),
    ("  rate limit (limits + Redis)", r"hit \(groupchat/core/ratelimit\.py"),
    ("  broadcast after commit (group_send)", r"broadcast_now \(groupchat/core/broadcast\.py"),
    ("  duplicate check _existing()", r"_existing \(groups/services/messages\.py"),
    ("  group_get()", r"group_get \(groups/selectors\.py"),
    ("channels_redis (any)", r"channels_redis/"),
    ("asgiref sync<->async hops", r"asgiref/sync\.py"),
    ("consumer send_json / JSON encode", r"send_json \(channels/generic/websocket\.py|orjson"),
    ("uvicorn websocket protocol", r"uvicorn/protocols/websockets"),
    ("websockets library", r"websockets/"),
    ("event loop (uvloop run)", r"run_forever|uvloop"),
    ("DB connection checks (health/close_old)", r"close_old_connections|close_if_unusable_or_obsolete|is_usable"),
]


def _frames(stack: str) -> list[str]:
    return stack.split(";")


def summarise(path: Path, top: int = 25) -> dict[str, Any]:
    if not path.exists():
        return {"error": f"no profile at {path}"}
    samples: list[tuple[list[str], int]] = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples.append((_frames(stack), int(count)))
    total = sum(c for _, c in samples)
    by_thread: Counter = Counter()
    self_time: Counter = Counter()
    inclusive_fn: Counter = Counter()
    buckets: Counter = Counter()
    compiled = [(name, re.compile(pat)) for name, pat in BUCKETS]
    for frames, count in samples:
        thread = frames[0] if frames and frames[0].startswith(("thread", "process")) else "?"
        by_thread[thread.split(" ")[0] + " " + ("main" if "MainThread" in thread else "worker")] += count
        self_time[frames[-1]] += count
        for f in set(frames):
            inclusive_fn[f] += count
        joined = "\n".join(frames)
        for name, rx in compiled:
            if any(rx.search(f) for f in frames) if "^" in rx.pattern else rx.search(joined):
                buckets[name] += count

    def pct(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    return {
        "samples": total,
        "threads": {k: pct(v) for k, v in by_thread.most_common(6)},
        "buckets_pct_inclusive": {name: pct(buckets[name]) for name, _ in BUCKETS},
        "top_self_pct": [(f, pct(n)) for f, n in self_time.most_common(top)],
        "top_inclusive_pct": [(f, pct(n)) for f, n in inclusive_fn.most_common(top * 2)
                              if "groups/" in f or "groupchat/" in f or "channels" in f][:top],
    }


def render(summary: dict[str, Any]) -> str:
    if "error" in summary:
        return summary["error"]
    lines = [f"py-spy: {summary['samples']} samples", "threads: " + ", ".join(f"{k} {v}%" for k, v in
                                                                           summary["threads"].items()), ""]
    lines.append("inclusive share of samples:")
    for name, v in summary["buckets_pct_inclusive"].items():
        lines.append(f"  {v:5.1f}%  {name}")
    lines.append("\ntop self (innermost frame):")
    for f, v in summary["top_self_pct"][:15]:
        lines.append(f"  {v:5.1f}%  {f}")
    lines.append("\ntop inclusive (project/channels frames):")
    for f, v in summary["top_inclusive_pct"][:15]:
        lines.append(f"  {v:5.1f}%  {f}")
    return "\n".join(lines)
