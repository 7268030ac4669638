"""One Aho-Corasick automaton over every enabled rule's normalised keyword (and pinyin spelling), built once per
rules version and swapped in by one assignment: a screening in progress finishes on the automaton it started with.

A text is screened in one pass over its normalised form, whatever the number of rules; a rule's optional regular
expression runs only on a text the automaton found its keyword in (never a growing alternation of all rules).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from . import reload

ACTION_RANK = {"flag": 1, "hold": 2, "block": 3}


@dataclass(frozen=True)
class CompiledRule:
    id: int
    keyword: str
    category: str
    action: str  # block | hold | flag
    pattern: re.Pattern[str] | None


@dataclass(frozen=True)
class Match:
    """What the rules found in one text: the strongest action, its category, every rule that hit."""

    action: str  # pass | flag | hold | block
    category: str
    rules: tuple[CompiledRule, ...]

    @property
    def rule_ids(self) -> list[int]:
        return [r.id for r in self.rules]

    @property
    def keywords(self) -> list[str]:
        return [r.keyword for r in self.rules]


NO_MATCH = Match("pass", "", ())


class RuleSet:
    """An immutable automaton and the rules behind each of its keys."""

    def __init__(self, rows: Iterable[tuple[int, str, str, str, str, str, str]], version: int = 0) -> None:
        """``rows``: (id, keyword, key, pinyin_key, pattern, category, action) of enabled rules."""
        self.version = version
        entries: dict[str, list[CompiledRule]] = defaultdict(list)
        for rule_id, keyword, key, pinyin_key, pattern, category, action in rows:
            compiled = CompiledRule(rule_id, keyword, category, action, _compile(pattern))
            for k in {key, pinyin_key} - {""}:
                entries[k].append(compiled)
        self.size = len(entries)
        self.automaton: ahocorasick.Automaton | None = None
        if entries:
            automaton = ahocorasick.Automaton()
            for k, rules in entries.items():
                automaton.add_word(k, tuple(rules))
            automaton.make_automaton()
            self.automaton = automaton

    def match(self, normalised: str) -> Match:
        """The rules found in an already normalised text, strongest action first (block > hold > flag)."""
        if self.automaton is None or not normalised:
            return NO_MATCH
        found: dict[int, CompiledRule] = {}
        for _, rules in self.automaton.iter(normalised):
            for rule in rules:
                if rule.id not in found and (rule.pattern is None or rule.pattern.search(normalised)):
                    found[rule.id] = rule
        if not found:
            return NO_MATCH
        hits = sorted(found.values(), key=lambda r: (-ACTION_RANK[r.action], r.id))
        return Match(hits[0].action, hits[0].category, tuple(hits))


def _compile(pattern: str) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error:  # refused by the rule services; an old bad row must not stop screening
        return None


_current = RuleSet(())


def current() -> RuleSet:
    """The process's rule set, reloaded first if the rules changed (checked at most once per poll period)."""
    reload.fresh()
    return _current


def load() -> RuleSet:
    """Build the automaton from the database and swap it in (the ``rules`` loader of screening/reload.py)."""
    global _current
    from ..models_screening import RuleChange, ScreeningRule

    version = RuleChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rows = ScreeningRule.objects.filter(enabled=True).values_list(
        "id", "keyword", "key", "pinyin_key", "pattern", "category", "action")
    _current = RuleSet(rows.iterator(chunk_size=5000), version=version)
    return _current


reload.register_loader("rules", load)
