"""Rules: services, change records (the rules version), import/export, and reload into the automaton (G10)."""

from __future__ import annotations

import pytest

from groupchat.core.errors import ApplicationError
from moderation.models_screening import RuleChange, ScreeningRule
from moderation.screening import automaton, reload
from moderation.screening.normalise import normalise
from moderation.screening.rules import rule_update, rules_export, rules_import, rules_set_enabled

from . import screening_fixtures

_fresh_screening_state = screening_fixtures._fresh_screening_state
rule = screening_fixtures.rule

pytestmark = pytest.mark.django_db


def _action(text: str) -> str:
    reload.invalidate()
    return automaton.current().match(normalise(text)).action


def test_create_records_a_change_and_this_process_serves_it_at_once(rule, django_capture_on_commit_callbacks):
    before = RuleChange.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        created = rule("刷单返利", "PLT-FRAUD", "block", pinyin=True)
    assert created.key == "刷单返利" and created.pinyin_key == "shuadanfanli"
    change = RuleChange.objects.order_by("-id").first()
    assert RuleChange.objects.count() == before + 1
    assert (change.change, change.rule_id_ref, change.after["keyword"]) == ("create", created.pk, "刷单返利")
    assert automaton.current().match(normalise("刷 單 返 利")).action == "block"
    assert automaton.current().version == change.pk


def test_edit_and_disable_are_versioned_with_before_and_after(rule):
    r = rule("网上赌场", "PLT-GAMBLING", "block")
    assert _action("网上赌场") == "block"
    rule_update(actor=None, rule=r, action="hold", reason="borderline")
    assert _action("网上赌场") == "hold"
    rules_set_enabled(actor=None, rule_ids=[r.pk], enabled=False)
    assert _action("网上赌场") == "pass"
    changes = list(RuleChange.objects.filter(rule_id_ref=r.pk).order_by("id").values_list("change", flat=True))
    assert changes == ["create", "update", "disable"]
    last = RuleChange.objects.filter(rule_id_ref=r.pk).order_by("-id").first()
    assert (last.before["enabled"], last.after["enabled"]) == (True, False)


def test_unchanged_edit_records_nothing(rule):
    r = rule("网上赌场", "PLT-GAMBLING", "block")
    n = RuleChange.objects.count()
    rule_update(actor=None, rule=r, action="block")
    assert RuleChange.objects.count() == n


@pytest.mark.parametrize(("keyword", "category", "action", "pattern", "code"), [
    ("", "PLT-FRAUD", "block", "", "rule_keyword_invalid"),
    ("!!!", "PLT-FRAUD", "block", "", "rule_keyword_invalid"),
    ("词", "NOPE", "block", "", "rule_category_invalid"),
    ("词", "PLT-FRAUD", "delete", "", "rule_action_invalid"),
    ("词", "PLT-FRAUD", "block", "([", "rule_pattern_invalid"),
])
def test_bad_rules_are_refused_with_a_clear_code(rule, keyword, category, action, pattern, code):
    with pytest.raises(ApplicationError) as exc:
        rule(keyword, category, action, pattern=pattern)
    assert exc.value.code == code
    assert not ScreeningRule.objects.exists()


def test_duplicate_rule_refused(rule):
    rule("刷单返利")
    with pytest.raises(ApplicationError) as exc:
        rule("刷单返利")
    assert exc.value.code == "rule_exists"


def test_import_csv_then_export_round_trips(rule):
    rule("刷单返利", "PLT-FRAUD", "flag")
    text = ("keyword,category,action,pattern,pinyin,enabled,note\n"
            "刷单返利,PLT-FRAUD,block,,0,1,now blocked\n"
            "网上赌场,PLT-GAMBLING,hold,,1,1,\n"
            "# a comment line\n"
            "free bitcoin,PLT-SPAM,flag,,0,0,off for now\n")
    result = rules_import(actor=None, text=text)
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert _action("wang shang du chang") == "hold"
    assert _action("刷单返利") == "block"
    assert _action("free bitcoin") == "pass"  # imported disabled
    exported = rules_export()
    assert exported.splitlines()[0] == "keyword,category,action,pattern,pinyin,enabled,note"
    assert "网上赌场,PLT-GAMBLING,hold,,1,1," in exported
    again = rules_import(actor=None, text=exported)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_import_plain_text_uses_the_defaults():
    result = rules_import(actor=None, text="网上赌场\n\n在线赌博\n", default_category="PLT-GAMBLING",
                          default_action="hold")
    assert result.created == 2
    assert set(ScreeningRule.objects.values_list("category", "action")) == {("PLT-GAMBLING", "hold")}
    assert set(RuleChange.objects.values_list("reason", flat=True)) == {"import"}


def test_import_is_all_or_nothing_and_names_the_bad_line():
    text = "keyword,category,action\n网上赌场,PLT-GAMBLING,hold\n坏的,NOPE,block\n"
    with pytest.raises(ApplicationError) as exc:
        rules_import(actor=None, text=text)
    assert exc.value.code == "rules_import_invalid"
    assert exc.value.params["line"] == 3
    assert "第 3 行" in exc.value.detail("zh-hans")
    assert not ScreeningRule.objects.exists()


def test_demo_sample_has_one_rule_per_category_and_seeds_once():
    from moderation.categories import CATEGORIES
    from moderation.screening.sample import screening_sample_seed

    assert screening_sample_seed() == len(CATEGORIES)
    assert set(ScreeningRule.objects.values_list("category", flat=True)) == {c.code for c in CATEGORIES}
    assert screening_sample_seed() == 0
    assert _action("网 上 賭 場") == "hold" and _action("shua dan fan li") == "block"
