"""Fixtures shared by the screening, held-review and switch tests (imported by their modules)."""

from __future__ import annotations

import pytest

from groups.screening import ScreenItem


@pytest.fixture(autouse=True)
def _fresh_screening_state():
    """Each test starts from what its database holds: no rule set or switch state left over from another test."""
    from moderation.screening import reload

    reload.forget()
    yield
    reload.forget()


@pytest.fixture
def rule():
    """Create a rule through the service: ``rule("刷单返利", "PLT-FRAUD", "block")``."""
    from moderation.screening.rules import rule_create

    def make(keyword: str, category: str = "PLT-FRAUD", action: str = "block", **kwargs):
        return rule_create(actor=None, keyword=keyword, category=category, action=action, **kwargs)

    return make


def items_for(membership, *bodies: str, prefix: str = "c") -> list[ScreenItem]:
    return [ScreenItem(index=i, sender=membership.user, group=membership.group, membership=membership,
                       client_id=f"{prefix}{i}", body=body) for i, body in enumerate(bodies)]
