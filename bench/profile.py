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
    # (label, pattern that must appear in the stack, pattern that must not)
    ("message_send[_many] (the whole service call)", r"message_send(_many)? \(groups/services/messages\.py", None),
    ("  waiting on PostgreSQL (psycopg2 execute/commit)", r"_execute \(django/db/backends/utils\.py|_commit \(django/db/backends/base", None),
    ("  ORM Python work (query compile, rows -> models), not waiting", r"django/db/models/", r"_execute \(django/db/backends/utils\.py"),
    ("  accounts gates (message.check hooks)", r"run_hooks \(groupchat/core/hooks\.py", None),
    ("  group_get()", r"group_get \(groups/selectors\.py", None),
    ("  duplicate check _existing()", r"_existing \(groups/services/messages\.py", None),
    ("  network log record()", r"record \(groupchat/core/events\.py", None),
    ("  rate limit (limits + Redis)", r"hit \(groupchat/core/ratelimit\.py", None),
    ("  broadcast after commit (wait for the loop's group_send)", r"broadcast_now \(groupchat/core/broadcast\.py", None),
    ("DB connection health check (SELECT 1 per DB call)", r"is_usable \(django/db/backends", None),
    ("close_old_connections hop per consumer event", r"aclose_old_connections|close_old_connections \(django/db/__init__", None),
    ("channels_redis (any)", r"channels_redis/", None),
    ("consumer send_json / orjson", r"send_json \(channels/generic/websocket\.py", None),
    ("uvicorn websocket protocol", r"uvicorn/protocols/websockets", None),
    ("websockets library (frames)", r"websockets/", None),
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
    compiled = [(name, re.compile(pat), re.compile(neg) if neg else None) for name, pat, neg in BUCKETS]
    for frames, count in samples:
        thread = frames[0] if frames and frames[0].startswith(("thread", "process")) else "?"
        by_thread[thread.split(" ")[0] + " " + ("main" if "MainThread" in thread else "worker")] += count
        self_time[frames[-1]] += count
        for f in set(frames):
            inclusive_fn[f] += count
        for name, rx, neg in compiled:
            if any(rx.search(f) for f in frames) and not (neg is not None and any(neg.search(f) for f in frames)):
                buckets[name] += count

    def pct(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    return {
        "samples": total,
        "samples_per_thread": dict(by_thread.most_common(6)),
        "threads": {k: pct(v) for k, v in by_thread.most_common(6)},
        "buckets_pct_inclusive": {name: pct(buckets[name]) for name, _, _ in BUCKETS},
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


if __name__ == "__main__":
    import sys

    print(render(summarise(Path(sys.argv[1]))))
