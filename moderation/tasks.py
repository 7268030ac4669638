"""Moderation's Celery tasks. Each is idempotent (safe to run twice, late, or in two workers at once)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="moderation.tasks.measures_sweep", acks_late=True)
def measures_sweep() -> dict:
    """End suspensions, mutes, admin suspensions and blacklist entries whose time is up; escalate overdue
    rectification deadlines to the moderators' queue."""
    from .measures import restrictions_expire, warnings_escalate

    return {"ended": restrictions_expire(), "escalated": warnings_escalate()}
