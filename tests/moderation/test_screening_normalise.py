"""Normalisation and matching: the evasions a rule must still catch (G10), without the database."""

from __future__ import annotations

import pytest

from moderation.screening.automaton import RuleSet
from moderation.screening.normalise import normalise, pinyin_of


def _rules(*rules: tuple[str, str, str, bool]) -> RuleSet:
    rows = []
    for n, (keyword, category, action, pinyin) in enumerate(rules, start=1):
        rows.append((n, keyword, normalise(keyword), pinyin_of(keyword) or "" if pinyin else "", "", category, action))
    return RuleSet(rows, version=1)


RULES = _rules(("刷单返利", "PLT-FRAUD", "block", False), ("网上赌场", "PLT-GAMBLING", "hold", True),
               ("free bitcoin", "PLT-SPAM", "flag", False))


@pytest.mark.clause("G10")
@pytest.mark.parametrize("text", [
    "刷单返利",                       # plain
    "快来刷单返利啦",                  # inside a sentence
    "刷 单 返 利",                     # spaces
    "刷\u200b单\u200c返\u200d利",      # zero-width characters between the characters
    "刷.单-返*利！",                   # symbols and punctuation inserted
    "刷刷单单返返利利",                 # repeated characters
    "刷單返利",                        # traditional characters
    "ＦＲＥＥ　ＢＩＴＣＯＩＮ",           # full-width letters (another rule)
])
def test_evasions_still_match(text):
    assert RULES.match(normalise(text)).action in ("block", "flag")


@pytest.mark.clause("G10")
@pytest.mark.parametrize("text", ["網上賭場", "网 上 赌 场", "wang shang du chang", "WangShangDuChang", "網上赌场！！"])
def test_gambling_rule_matches_traditional_spaced_and_pinyin(text):
    match = RULES.match(normalise(text))
    assert (match.action, match.category) == ("hold", "PLT-GAMBLING")


def test_pinyin_only_when_the_rule_asks_for_it():
    assert RULES.match(normalise("shua dan fan li")).action == "pass"


def test_innocent_text_passes_and_strongest_action_wins():
    assert RULES.match(normalise("今天天气很好，我们去公园吧 free coffee")).action == "pass"
    both = RULES.match(normalise("free bitcoin 和 刷单返利"))
    assert (both.action, both.category) == ("block", "PLT-FRAUD")
    assert sorted(both.rule_ids) == [1, 3]


def test_pattern_narrows_a_keyword():
    rows = [(1, "加微信", normalise("加微信"), "", r"加微信[a-z0-9]{5,}", "PLT-SPAM", "block")]
    rules = RuleSet(rows)
    assert rules.match(normalise("加微信 abc12345")).action == "block"
    assert rules.match(normalise("加微信吗？")).action == "pass"


def test_normalise_forms():
    assert normalise("ＡＢＣ") == "abc"
    assert normalise("Spaaam!!") == "spam"
    assert normalise("網上賭場") == "网上赌场"
    assert normalise("a\u200bb\u2060c\ufeffd") == "abcd"
    assert pinyin_of("网上赌场") == "wangshangduchang"
    assert pinyin_of("casino") is None


def test_empty_rule_set_matches_nothing():
    assert RuleSet(()).match("anything").action == "pass"
