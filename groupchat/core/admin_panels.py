"""The staff's work panels on the admin home: each app registers what a role can do there, with a live count.

A moderator, an identity reviewer or a compliance officer opens ``/admin/`` and sees first the queues and pages of
their duty (held messages 12, identity submissions 3, ...), not a bare list of models. Apps register panels in their
``AppConfig.ready()``; a panel shows to a user who has its permission (superusers see all).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .language import pick


@dataclass(frozen=True)
class Panel:
    key: str
    zh: str
    en: str
    url: str  # a URL name (reversed without arguments) or a path
    permission: str  # "app_label.codename" the user needs
    count: Callable[[], int] | None = None  # a cheap live count (a queue's length), shown as a badge
    section_zh: str = "工作台"
    section_en: str = "Your work"
    order: int = 100

    def title(self, language: str | None = None) -> str:
        return pick(language, zh=self.zh, en=self.en)

    def section(self, language: str | None = None) -> str:
        return pick(language, zh=self.section_zh, en=self.section_en)

    def href(self) -> str:
        if self.url.startswith("/"):
            return self.url
        try:
            return reverse(self.url)
        except NoReverseMatch:
            return "#"


_PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    """Add (or replace, by key) a panel; called from an app's ``ready()``."""
    _PANELS[panel.key] = panel


def panels_for(user, language: str | None = None) -> list[dict]:
    """The panels ``user`` may use, grouped by section in order, each with its count (None when it has none)."""
    if not getattr(user, "is_staff", False):
        return []
    sections: dict[str, list[dict]] = {}
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key)):
        if not (user.is_superuser or user.has_perm(panel.permission)):
            continue
        sections.setdefault(panel.section(language), []).append(
            {"key": panel.key, "title": panel.title(language), "url": panel.href(),
             "count": panel.count() if panel.count else None})
    return [{"section": name, "panels": panels} for name, panels in sections.items()]
