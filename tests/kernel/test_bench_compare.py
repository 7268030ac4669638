"""The bench runner's compare command: its arguments, the scenarios it resolves and the after/before table.

The measuring itself needs minutes of an otherwise quiet machine and is run by hand (bench/README.md), never here.
"""

from __future__ import annotations

import pytest

from bench.common import SCENARIOS
from bench.run import SUITE, compare_rows, options, parser, print_table, resolve, suite


def _run(scenario: str, side: str, **figures: float) -> dict:
    return {"scenario": scenario, "round": 1, "side": side, "code": side, "headline": figures}


def test_compare_arguments_parse_with_defaults_and_overrides():
    a = parser().parse_args(["compare", "--before", "8e760c1", "--after", "HEAD", "--duration", "5",
                             "--set", "rate=4", "--set", "receivers=200"])

    assert (a.cmd, a.before, a.after, a.scenarios, a.rounds, a.duration, a.tolerance) == \
        ("compare", "8e760c1", "HEAD", "1,2", 3, 5.0, 0.10)
    assert a.set == ["rate=4", "receivers=200"]


def test_compare_needs_both_revisions():
    with pytest.raises(SystemExit):
        parser().parse_args(["compare", "--before", "8e760c1"])


def test_scenarios_resolve_by_issue_number_or_name():
    assert resolve("1,2") == ["ingest", "fanout"]
    assert resolve("3, history,5") == ["many-groups", "history", "scaleout"]
    with pytest.raises(SystemExit, match="unknown scenario"):
        resolve("1,9")


def test_options_take_each_defaults_type_and_refuse_unknown_keys():
    opts = options("fanout", {"rate": "12", "receivers": "200"})

    assert (opts["rate"], opts["receivers"], opts["group"]) == (12.0, 200, "fanout")
    with pytest.raises(SystemExit, match="no option"):
        options("fanout", {"speed": "1"})


def test_all_runs_every_scenario_with_valid_options():
    for name, overrides in suite():
        assert options(name, overrides).keys() == (SCENARIOS[name].options or {}).keys()
    assert {name for name, _ in suite()} == set(SCENARIOS)
    assert suite()[: len(SUITE)] == SUITE  # the recorded order first


def test_every_scenario_names_its_compare_figures_and_has_a_flag_per_option():
    for name, sc in SCENARIOS.items():
        assert sc.headline and set(sc.headline.values()) <= {"higher", "lower"}, name
        sub = parser().parse_args([name])
        assert all(getattr(sub, key) == default for key, default in (sc.options or {}).items()), name


def test_compare_table_takes_medians_and_judges_each_figure_in_its_direction(capsys):
    runs = [
        _run("ingest", "before", **{"acked/s": 1000.0, "ack p99": 20.0}),
        _run("ingest", "after", **{"acked/s": 950.0, "ack p99": 30.0}),
        _run("ingest", "before", **{"acked/s": 1100.0, "ack p99": 22.0}),
        _run("ingest", "after", **{"acked/s": 1000.0, "ack p99": 21.0}),
        _run("ingest", "before", **{"acked/s": 1200.0, "ack p99": 24.0}),
        _run("ingest", "after", **{"acked/s": 1010.0, "ack p99": 23.0}),
        _run("fanout", "before", **{"dlv p95": 80.0, "dlv p99": 100.0}),
        _run("fanout", "after", **{"dlv p95": 70.0, "dlv p99": None}),
    ]

    rows = {(r["scenario"], r["figure"]): r for r in compare_rows(runs, tolerance=0.10)}

    acked = rows["ingest", "acked/s"]  # medians 1100 -> 1000: 0.909, a loss just under 10 %
    assert (acked["before"], acked["after"], acked["after/before"], acked["verdict"]) == (1100.0, 1000.0, 0.909, "ok")
    p99 = rows["ingest", "ack p99"]  # 22 -> 23 ms: higher is worse, within 10 %
    assert (p99["after/before"], p99["verdict"]) == (1.045, "ok")
    assert rows["fanout", "dlv p95"]["verdict"] == "ok"  # faster
    assert rows["fanout", "dlv p99"]["verdict"] == "-"  # a run without the figure: no verdict, not a pass
    assert compare_rows(runs, tolerance=0.05)[0]["verdict"] == "WORSE"
    assert acked["before runs"] == "1,000.0 1,100.0 1,200.0"

    print_table(list(rows.values()))
    out = capsys.readouterr().out.splitlines()
    assert out[0].split(" | ")[0].strip() == "scenario" and "after/before" in out[0]
    assert len(out) == 2 + len(rows) and "WORSE" not in "\n".join(out)
