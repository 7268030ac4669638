from __future__ import annotations

from celery import shared_task


@shared_task(name="accounts.tasks.credit_recover", acks_late=True)
def credit_recover() -> int:
    """Daily credit recovery sweep (idempotent: safe to run twice or late)."""
    from .credit import credit_recover_sweep

    return credit_recover_sweep()
