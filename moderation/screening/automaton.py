"""One Aho-Corasick automaton over every enabled rule's normalised keyword (and pinyin spelling), built once per
rules version and swapped in by one assignment: a screening in progress finishes on the automaton it started with.

A text is screened in one pass over its normalised form, whatever the number of rules; a rule's optional regular
expression runs only on a text the automaton found its keyword in (never a growing alternation of all rules).
"""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from . import reload

ACTION_RANK = {"flag": 1, "hold": 2, "block": 3}


# One rule as the automaton keeps it: (id, keyword, category, action, compiled pattern or None). Plain tuples: a
# reload makes 20,000 of them, and a dataclass's construction was most of the build's time.
CompiledRule = tuple[int, str, str, str, "re.Pattern[str] | None"]
_ID, _KEYWORD, _CATEGORY, _ACTION, _PATTERN = range(5)


@dataclass(frozen=True)
class Match:
    """What the rules found in one text: the strongest action, its category, every rule that hit."""

    action: str  # pass | flag | hold | block
    category: str
    rules: tuple[CompiledRule, ...]

    @property
    def rule_ids(self) -> list[int]:
        return [r[_ID] for r in self.rules]

    @property
    def keywords(self) -> list[str]:
        return [r[_KEYWORD] for r in self.rules]


NO_MATCH = Match("pass", "", ())


class RuleSet:
    """An immutable automaton and the rules behind each of its keys."""

    def __init__(self, rows: Iterable[tuple[int, str, str, str, str, str, str]], version: int = 0) -> None:
        """``rows``: (id, keyword, key, pinyin_key, pattern, category, action) of enabled rules."""
        self.version = version
        entries: dict[str, list[CompiledRule]] = defaultdict(list)
        for rule_id, keyword, key, pinyin_key, pattern, category, action in rows:
            compiled = (rule_id, keyword, category, action, _compile(pattern) if pattern else None)
            if key:
                entries[key].append(compiled)
            if pinyin_key and pinyin_key != key:
                entries[pinyin_key].append(compiled)
        self.size = len(entries)
        self.automaton: ahocorasick.Automaton | None = None
        if entries:
            automaton = ahocorasick.Automaton()
            add = automaton.add_word
            for k, rules in entries.items():
                add(_bytes(k), tuple(rules))
            automaton.make_automaton()
            self.automaton = automaton

    def match(self, normalised: str) -> Match:
        """The rules found in an already normalised text, strongest action first (block > hold > flag)."""
        if self.automaton is None or not normalised:
            return NO_MATCH
        found: dict[int, CompiledRule] = {}
        for _, rules in self.automaton.iter(_bytes(normalised)):
            for rule in rules:
                if rule[_ID] not in found and (rule[_PATTERN] is None or rule[_PATTERN].search(normalised)):
                    found[rule[_ID]] = rule
        if not found:
            return NO_MATCH
        hits = sorted(found.values(), key=lambda r: (-ACTION_RANK[r[_ACTION]], r[_ID]))
        return Match(hits[0][_ACTION], hits[0][_CATEGORY], tuple(hits))


def _bytes(text: str) -> str:
    """The text's UTF-8 bytes, one character each. The automaton keeps a node's children in a list it searches one
    by one: over Chinese text the root alone has thousands of children, which made a 100-character message cost
    about three times as much as walking its UTF-8 bytes (at most 256 children anywhere). UTF-8 is self-
    synchronising, so a keyword's bytes match only where its characters do."""
    return text.encode("utf-8").decode("latin-1")


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
    rows = list(ScreeningRule.objects.filter(enabled=True).values_list(
        "id", "keyword", "key", "pinyin_key", "pattern", "category", "action"))
    # The build allocates tens of thousands of small objects and frees none: a collection pass midway would only
    # walk them (it doubled the build's time now and then). Off for the build, on again after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        ruleset = RuleSet(rows, version=version)
    finally:
        if collecting:
            gc.enable()
    _current = ruleset
    return _current


reload.register_loader("rules", load)
