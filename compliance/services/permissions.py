"""The one permission check of compliance's services (each names the Django permission its action needs)."""

from __future__ import annotations

from accounts.models import User
from groupchat.core.errors import ApplicationError


def require_perm(actor: User | None, perm: str) -> None:
    """Refuse ``permission_denied`` unless ``actor`` has ``perm``; None is the platform itself (a beat job)."""
    if actor is not None and not actor.has_perm(perm):
        raise ApplicationError("permission_denied")
