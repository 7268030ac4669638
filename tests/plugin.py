"""Loaded first (pyproject addopts ``-p tests.plugin``): points the suite at real PostgreSQL and Redis, and counts the
tests that prove each clause of the law (``@pytest.mark.clause("G8a")``; the clauses: docs/compliance.md)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

# Services mode against the machine's PostgreSQL and Redis (a dedicated Redis db, flushed per session).
os.environ.setdefault("DATABASE_URL", os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/groupchat"))
os.environ.setdefault("REDIS_URL", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5"))
os.environ.setdefault("GROUPCHAT_ENV", "test")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("GROUPCHAT_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))

REPORT_PATH = Path(__file__).resolve().parent.parent / ".clause-report.json"

_collected: Counter[str] = Counter()
_passed: Counter[str] = Counter()


def _clauses(item) -> list[str]:
    return [str(mark.args[0]) for mark in item.iter_markers("clause") if mark.args]


def pytest_collection_modifyitems(session, config, items):
    from groupchat.clauses import CLAUSES

    for item in items:
        for clause in _clauses(item):
            if clause not in CLAUSES:
                raise pytest.UsageError(f"{item.nodeid}: unknown clause {clause!r} (see groupchat/clauses.py)")
            _collected[clause] += 1


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        for clause in getattr(report, "clauses", ()):
            _passed[clause] += 1


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().clauses = _clauses(item)


def clause_table(collected: Counter[str], passed: Counter[str] | None) -> list[str]:
    from groupchat.clauses import CLAUSES

    lines = ["", "Clause coverage (docs/compliance.md): tests that prove each duty"]
    uncovered = []
    for clause, title in CLAUSES.items():
        n = collected.get(clause, 0)
        shown = f"{passed.get(clause, 0)}/{n} passed" if passed is not None else f"{n} tests"
        lines.append(f"  {clause:<5} {shown:<14} {title}")
        if n == 0:
            uncovered.append(clause)
    lines.append("  uncovered: " + (", ".join(uncovered) if uncovered else "none"))
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _collected and not config.option.collectonly and not terminalreporter.stats:
        return
    ran = any(terminalreporter.stats.get(k) for k in ("passed", "failed", "error"))
    for line in clause_table(_collected, _passed if ran else None):
        terminalreporter.write_line(line)
    REPORT_PATH.write_text(json.dumps({"collected": _collected, "passed": _passed}, indent=1, sort_keys=True))
