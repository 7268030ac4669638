"""The filing hooks (G7a, 备案): how apps below compliance report a change of the filed tier system, and ask whether
a filed version is pending, without importing compliance (which registers both in its ``AppConfig.ready()``).

- ``filing.changed(actor, summary)``: called in the transaction of an edit of tiers, categories or grade caps; makes a
  new, unfiled filing version of the tier system (none when nothing filed changed).
- ``filing.pending()``: the warning (in Chinese and English) the tier-system pages show while the newest version is unfiled, or None.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages

from .hooks import run_hooks

CHANGED = "filing.changed"
PENDING = "filing.pending"


def filing_changed(*, actor: Any, summary: str) -> None:
    """Report a change of the filed tier system; call inside the change's transaction."""
    run_hooks(CHANGED, actor=actor, summary=summary)


def filing_pending_notice() -> str | None:
    """The first pending-filing warning a registered hook gives, or None when everything is filed."""
    return next((notice for notice in run_hooks(PENDING) if notice), None)


class FilingAlertMixin:
    """For a ModelAdmin of the filed tier system (tiers, categories, the grade table): its list page warns while the
    newest filing version is unfiled (G7a)."""

    def changelist_view(self, request, extra_context=None):
        notice = filing_pending_notice()
        if notice:
            messages.warning(request, notice)
        return super().changelist_view(request, extra_context)
