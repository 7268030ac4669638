from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="groups.tasks.invitations_expire", acks_late=True)
def invitations_expire() -> int:
    """Hourly: mark invitations past their 7-day life as expired (idempotent)."""
    return services.invitations_expire_due()


@shared_task(name="groups.tasks.tiers_sweep", acks_late=True)
def tiers_sweep() -> dict:
    """Daily: activity bands, size bands and re-tiering (G7a). Idempotent: a second run the same day changes nothing."""
    from .services.tiers import tiers_sweep_run

    return tiers_sweep_run()
