"""The one normalisation that rules and screened texts both go through, so common evasion fails.

In order: NFKC (full-width letters and digits, compatibility forms), case folding, traditional -> simplified Chinese
(OpenCC's maintained ``t2s`` tables, not a hand table), then every character that is not a letter or a digit is
dropped (spaces, punctuation, symbols, zero-width and other format characters inserted between the characters of a
word), and a run of one repeated character becomes one (赌赌赌场 -> 赌场, spaaam -> spam).

Because separators are dropped, a keyword matches across word boundaries; rules are written with that in mind.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin

# Anything not a letter or digit of any script (\w without the underscore). Zero-width spaces and joiners (Cf) and
# symbols (S*) are not \w either.
_NOT_WORD = re.compile(r"[\W_]+")
_REPEATS = re.compile(r"(.)\1+")
_HAN = re.compile(r"[\u3400-\u9fff]")


def _first(match: re.Match[str]) -> str:  # a function, not r"\1": the template is expanded anew per match
    return match.group(1)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


def normalise(text: str) -> str:
    """The form both rules and texts are matched in."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = _t2s().convert(text)
    text = _NOT_WORD.sub("", text)
    return _REPEATS.sub(_first, text)


def pinyin_of(keyword: str) -> str | None:
    """The keyword spelt in toneless pinyin, normalised (网上赌场 -> wangshangduchang); None without Chinese in it."""
    if not _HAN.search(keyword):
        return None
    spelt = normalise(" ".join(lazy_pinyin(normalise(keyword), style=Style.NORMAL)))
    return spelt if spelt and spelt.isascii() else None
