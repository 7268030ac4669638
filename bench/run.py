"""The bench runner:  python -m bench.run [--ref REV] SCENARIO [--option value ...] | all | compare ...

Each scenario starts its own server process(es) from a checkout of the code under test (``--ref``, default HEAD;
``worktree`` for the live tree), drives them over loopback only, stops them, prints a table and writes the full
figures as JSON to bench/results/. ``all`` runs the suite recorded in docs/performance.md; ``compare`` runs scenarios
against two revisions, interleaved, and prints each run and the after/before ratios.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from typing import Any

from . import data, scenarios
from .common import SCENARIOS, Code, checkout, lock, machine, write_result

# Modules that register scenarios; a module of the list that does not exist yet is skipped.
SCENARIO_MODULES = ("bench.scenarios", "bench.manygroups", "bench.screening", "bench.measures")
for _name in SCENARIO_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise

# ``all``: the suite as recorded in docs/performance.md, in order (scenario, options that differ from its defaults).
SUITE: list[tuple[str, dict[str, Any]]] = [
    ("ingest", {"repeat": 2}),
    ("fanout", {}),
    ("fanout-ceiling", {}),
    ("many-groups", {}),
    ("history", {}),
    ("scaleout", {"repeat": 2}),
    ("fanout-ceiling", {"servers": "1,2", "rates": "12,16,20,24,28,32"}),
    *[("many-groups", {"servers": n, "rate": r, "duration": 20.0, "big_runs": 0}) for n in (1, 2) for r in (3, 4, 5, 6)],
    ("ingest-ceiling", {"servers": "1,2"}),
    ("sweep", {}),
]


def suite() -> list[tuple[str, dict[str, Any]]]:
    """SUITE, then every other registered scenario with its defaults (a new scenario joins ``all`` by registering)."""
    return SUITE + [(name, {}) for name in SCENARIOS if name not in {n for n, _ in SUITE}]


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def print_table(rows: list[dict[str, Any]]) -> None:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    widths = {c: max(len(c), *(len(fmt(r.get(c))) for r in rows)) for c in cols}
    print(" | ".join(c.rjust(widths[c]) for c in cols))
    print("-+-".join("-" * widths[c] for c in cols))
    for r in rows:
        print(" | ".join(fmt(r.get(c)).rjust(widths[c]) for c in cols))


def run_scenario(code: Code, name: str, opts: dict[str, Any]) -> dict[str, Any]:
    """One scenario against ``code``: its table and headline printed, everything written to bench/results/."""
    sc = SCENARIOS[name]
    variant = f", variant {scenarios.GLOBAL['variant']}" if scenarios.GLOBAL["variant"] else ""
    print(f"\n== {name}: {sc.title}\n   code {code.label}{variant}, options {json.dumps(opts)}", flush=True)
    out = sc.run(code, argparse.Namespace(**opts))
    print()
    print_table(out["table"])
    print(f"headline: {json.dumps(out['headline'])}")
    path = write_result(name, {"scenario": name, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
                               "code": code.label, "variant": scenarios.GLOBAL["variant"], "options": opts,
                               "argv": sys.argv, **out})
    print(f"written {path}", flush=True)
    return out


def options(name: str, overrides: dict[str, Any]) -> dict[str, Any]:
    opts = dict(SCENARIOS[name].options or {})
    for key, value in overrides.items():
        if key not in opts:
            raise SystemExit(f"{name} has no option {key!r}: {sorted(opts)}")
        opts[key] = type(opts[key])(value)
    return opts


def options_for(name: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Of ``overrides``, those ``name`` has, typed as its defaults."""
    defaults = SCENARIOS[name].options or {}
    return {k: type(defaults[k])(v) for k, v in overrides.items() if k in defaults}


def resolve(names: str) -> list[str]:
    """Scenario names, or the issue's numbers (1 ingest, 2 fanout, ...)."""
    by_number = {sc.number: n for n, sc in SCENARIOS.items() if sc.number}
    out = [by_number.get(x.strip(), x.strip()) for x in names.split(",") if x.strip()]
    if unknown := [x for x in out if x not in SCENARIOS]:
        raise SystemExit(f"unknown scenario(s) {unknown}; known: {sorted(SCENARIOS)} or numbers {sorted(by_number)}")
    return out


def compare_rows(runs: list[dict[str, Any]], tolerance: float) -> list[dict[str, Any]]:
    """Per scenario and headline figure: the median of each side's runs, after/before, and whether the after side
    is within ``tolerance`` of before in the figure's worse direction."""
    rows = []
    for name in dict.fromkeys(r["scenario"] for r in runs):
        for figure, better in (SCENARIOS[name].headline or {}).items():
            side = {s: [r["headline"].get(figure) for r in runs if r["scenario"] == name and r["side"] == s]
                    for s in ("before", "after")}
            med = {s: statistics.median(v) if None not in v and v else None for s, v in side.items()}
            ratio = med["after"] / med["before"] if med["before"] and med["after"] is not None else None
            worse = None if ratio is None else (ratio < 1 - tolerance if better == "higher" else ratio > 1 + tolerance)
            rows.append({"scenario": name, "figure": figure, "better": better,
                         "before runs": " ".join(fmt(v) for v in side["before"]),
                         "after runs": " ".join(fmt(v) for v in side["after"]), "before": med["before"],
                         "after": med["after"], "after/before": None if ratio is None else round(ratio, 3),
                         "verdict": "-" if worse is None else ("WORSE" if worse else "ok")})
    return rows


def compare(a: argparse.Namespace) -> list[dict[str, Any]]:
    """Each scenario against --before and --after, --rounds times, interleaved (before, after, before, after, ...)
    so drift on the box hits both sides alike; groupchat only, each run on fresh server processes."""
    codes = {"before": checkout(a.before), "after": checkout(a.after)}
    names = resolve(a.scenarios)
    overrides = dict(kv.split("=", 1) for kv in a.set)
    after_set = dict(kv.split("=", 1) for kv in a.after_set)
    for code in codes.values():  # the data first, outside the measured runs
        data.ensure(code)
    runs: list[dict[str, Any]] = []
    for rnd in range(1, a.rounds + 1):
        for name in names:
            opts = options(name, {k: v for k, v in {"duration": a.duration, "targets": "groupchat", "repeat": 1,
                                                    **overrides}.items()
                                  if k in (SCENARIOS[name].options or {}) and v is not None})
            for side, code in codes.items():
                out = run_scenario(code, name, opts | options_for(name, after_set if side == "after" else {}))
                runs.append({"scenario": name, "round": rnd, "side": side, "code": code.label,
                             "at": time.strftime("%H:%M:%S"), "headline": out["headline"]})
    print("\n== runs")
    print_table([{k: v for k, v in r.items() if k != "headline"} | r["headline"] for r in runs])
    rows = compare_rows(runs, a.tolerance)
    print(f"\n== after / before (median of {a.rounds} runs each; 'WORSE' = beyond {a.tolerance:.0%} in the worse "
          "direction)")
    print_table(rows)
    path = write_result("compare", {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
                                    "argv": sys.argv, "codes": {k: c.label for k, c in codes.items()}, "runs": runs,
                                    "table": rows})
    print(f"written {path}")
    return rows


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ref", default="HEAD", help="revision under test (a git worktree under var/bench/), or worktree")
    p.add_argument("--pyspy", type=int, default=0, metavar="HZ", help="py-spy flame graph of each server process")
    p.add_argument("--variant", default="", help="what-if patches of the groupchat server (bench/variants.py)")
    p.add_argument("--wait", type=float, default=0.0, metavar="S",
                   help="wait up to S seconds for another bench run to finish (default: exit at once)")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, sc in SCENARIOS.items():
        s = sub.add_parser(name, help=(f"{sc.number}. " if sc.number else "") + sc.title)
        for key, default in (sc.options or {}).items():
            s.add_argument(f"--{key.replace('_', '-')}", type=type(default), default=default, help=f"({default})")
    sub.add_parser("all", help="the whole suite of docs/performance.md (about an hour, with the 10M-row fill)")
    s = sub.add_parser("compare", help="scenarios against two revisions, interleaved, with after/before ratios")
    s.add_argument("--before", required=True, help="revision (commit, branch, tag)")
    s.add_argument("--after", required=True, help="revision, e.g. HEAD")
    s.add_argument("--scenarios", default="1,2", help="names or numbers, e.g. 1,2 (ingest, fan-out)")
    s.add_argument("--rounds", type=int, default=3, help="runs of each side per scenario (default 3)")
    s.add_argument("--duration", type=float, default=None, help="seconds per run (default: the scenario's)")
    s.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="any scenario option, e.g. rate=12")
    s.add_argument("--after-set", action="append", default=[], metavar="KEY=VALUE",
                   help="an option for the after side only: the same code with and without, e.g. sealer=1")
    s.add_argument("--tolerance", type=float, default=0.10, help="allowed loss per figure (default 0.10)")
    return p


def main(argv: list[str] | None = None) -> None:
    a = parser().parse_args(argv)
    held = lock(a.wait)  # noqa: F841  (released when the process ends)
    scenarios.GLOBAL.update(pyspy=a.pyspy, variant=a.variant)
    if a.cmd == "compare":
        compare(a)
    elif a.cmd == "all":
        code = checkout(a.ref)
        for name, overrides in suite():
            run_scenario(code, name, options(name, overrides))
    else:
        opts = {k: getattr(a, k) for k in SCENARIOS[a.cmd].options or {}}
        run_scenario(checkout(a.ref), a.cmd, opts)


if __name__ == "__main__":
    main()
