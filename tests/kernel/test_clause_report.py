"""docs/compliance.md is generated from the clause table, the law's text and the tests' clause markers."""

from __future__ import annotations

import dataclasses

import pytest

from groupchat.clauses import CLAUSE_INFO, CLAUSES
from groupchat.law import article_text
from tests import clause_report


def test_every_clause_has_its_duty_article_and_code():
    page = clause_report.render({"G8a": {"tests/groups/test_joining.py": ["test_full_group_refuses"]}})
    for key, clause in CLAUSE_INFO.items():
        assert f"## {key}" in page and clause.duty in page
        for paragraph in clause.paragraphs or (None,):
            assert article_text(clause.article, paragraph) in page
        for path in clause.code:
            assert f"`{path}`" in page
    assert "- `tests/groups/test_joining.py`: `test_full_group_refuses`" in page
    assert "Tests: none yet." in page  # a clause without tests says so
    assert set(CLAUSES) == set(CLAUSE_INFO)


def test_a_code_path_that_does_not_exist_is_refused(monkeypatch):
    broken = dict(CLAUSE_INFO)
    broken["G10"] = dataclasses.replace(CLAUSE_INFO["G10"], code=("no/such/file.py",))
    monkeypatch.setattr("groupchat.clauses.CLAUSE_INFO", broken)
    with pytest.raises(SystemExit, match=r"no/such/file\.py"):
        clause_report.render({})


def test_the_check_fails_on_a_stale_page(tmp_path, monkeypatch):
    monkeypatch.setattr(clause_report, "OUTPUT", tmp_path / "compliance.md")
    monkeypatch.setattr(clause_report, "collect", lambda: {"G12": {"tests/complaints/test_x.py": ["test_new"]}})
    (tmp_path / "compliance.md").write_text("old\n", encoding="utf-8")
    assert clause_report.main(["--check"]) == 1
    assert clause_report.main([]) == 0
    assert clause_report.main(["--check"]) == 0
    assert "`test_new`" in (tmp_path / "compliance.md").read_text(encoding="utf-8")
