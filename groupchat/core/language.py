"""The platform speaks Simplified Chinese and English: one rule for choosing between the two texts of anything."""

from __future__ import annotations

from typing import TypeVar

from django.utils import translation

T = TypeVar("T")


def is_english(language: str | None = None) -> bool:
    """Whether ``language`` (default: the active one) is English; anything else gets Chinese, the default."""
    return (language if language is not None else translation.get_language() or "").startswith("en")


def pick(language: str | None, *, zh: T, en: T) -> T:
    """``en`` for an English ``language`` code, else ``zh``; ``None`` means the active language."""
    return en if is_english(language) else zh
