from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="groups.tasks.invitations_expire", acks_late=True)
def invitations_expire() -> int:
    """Hourly: mark invitations past their 7-day life as expired (idempotent)."""
    return services.invitations_expire_due()
