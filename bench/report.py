"""Markdown tables from bench/results/*.json, for docs/performance.md:  python -m bench.report [files...]

Without arguments: every result file, oldest first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import RESULTS

COLS = ["target", "conns", "acked/s", "ack p50", "ack p95", "ack p99", "ack max", "dlv/s", "dlv p50", "dlv p95",
        "dlv p99", "dlv max", "expected", "delivered", "lost", "dup", "gaps", "ooo", "errors", "srv cpu%", "pg cpu%",
        "redis cpu%", "driver cpu%", "others cpu s", "srv peak MiB"]


def _f(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def table(rows: list[dict], cols: list[str]) -> str:
    cols = [c for c in cols if any(c in r for r in rows)]
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    out += ["| " + " | ".join(_f(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(out)


def render(path: Path) -> str:
    d = json.loads(path.read_text())
    head = f"### {d.get('scenario', path.stem)} — {path.name} ({d.get('date', '')}, code {d.get('code_under_test', '?')}"
    head += f", variant {d['variant']})" if d.get("variant") else ")"
    parts = [head, ""]
    if "table" in d and d["table"] and "target" in d["table"][0]:
        rows = d["table"]
        for r, run in zip(rows, d.get("runs", []), strict=False):
            if "members" in run:
                r["target"] = f"{r['target']} ({run['members']} members)"
        parts.append(table(rows, COLS))
    elif "table" in d:
        parts.append(table(d["table"], list(d["table"][0])))
    if d.get("ratios_groupchat_over_baseline"):
        parts += ["", "groupchat / baseline: " + "; ".join(
            ", ".join(f"{k} {v}" for k, v in r.items() if not k.startswith("_")) for r in d["ratios_groupchat_over_baseline"])]
    return "\n".join(parts) + "\n"


def main() -> None:
    files = [Path(a) for a in sys.argv[1:]] or sorted(RESULTS.glob("*.json"))
    for f in files:
        if f.name.endswith("queries.json"):
            continue
        print(render(f))


if __name__ == "__main__":
    main()
