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
def moderator(db):
    """A staff user who may review held and flagged messages."""
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="review_screening"))
    return user


@pytest.fixture
def rule():
    """Create a rule through the service: ``rule("刷单返利", "PLT-FRAUD", "block")``."""
    from moderation.screening import reload
    from moderation.screening.rules import rule_create

    def make(keyword: str, category: str = "PLT-FRAUD", action: str = "block", **kwargs):
        created = rule_create(actor=None, keyword=keyword, category=category, action=action, **kwargs)
        reload.invalidate()  # what the service's on-commit callback does (a test's transaction never commits)
        return created

    return make


def items_for(membership, *bodies: str, prefix: str = "c") -> list[ScreenItem]:
    return [ScreenItem(index=i, sender=membership.user, group=membership.group, membership=membership,
                       client_id=f"{prefix}{i}", body=body) for i, body in enumerate(bodies)]


@pytest.fixture
def sent_events(monkeypatch):
    """Every channel-layer broadcast made once a transaction commits, as ``(group names, event)``."""
    from groupchat.core import broadcast

    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(broadcast, "broadcast_now", lambda names, event: sent.append((list(names), event)))
    return sent
