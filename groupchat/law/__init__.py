"""The text of the 《互联网群组信息服务管理规定》 (CAC, 2017) kept in the project, for legal-basis citations.

Measures, filings, reports and docs/compliance.md quote the articles from here, so a reader of the project needs no
outside copy. ``article_text(11, 3)`` is the third paragraph of Article 11 in Chinese.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

TITLE = "互联网群组信息服务管理规定"
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_HEAD = re.compile(r"^第([一二三四五六七八九十]+)条\s*(.*)$")


def _number(numeral: str) -> int:
    if numeral.startswith("十"):
        return 10 + (_NUMERALS[numeral[1]] if len(numeral) > 1 else 0)
    return _NUMERALS[numeral]


@cache
def articles() -> dict[int, tuple[str, ...]]:
    """Article number -> its paragraphs, as printed."""
    found: dict[int, list[str]] = {}
    current: int | None = None
    for line in (Path(__file__).with_name("provisions-zh.txt")).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        head = _HEAD.match(line)
        if head:
            current = _number(head.group(1))
            found[current] = [head.group(2)]
        elif current is not None:
            found[current].append(line)
    return {number: tuple(paragraphs) for number, paragraphs in found.items()}


def article_text(article: int, paragraph: int | None = None) -> str:
    """The Chinese text of an article (all paragraphs) or of one paragraph (1-based)."""
    paragraphs = articles()[article]
    return paragraphs[paragraph - 1] if paragraph else "".join(paragraphs)


def citation(article: int, paragraph: int | None = None) -> str:
    """``《互联网群组信息服务管理规定》第十一条第一款`` style reference."""
    numerals = "零一二三四五六七八九十"
    art = numerals[article] if article <= 10 else "十" + (numerals[article - 10] if article > 10 else "")
    para = f"第{numerals[paragraph]}款" if paragraph else ""
    return f"《{TITLE}》第{art}条{para}"
