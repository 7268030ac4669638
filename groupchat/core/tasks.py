from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "groupchat:beat:last"


@shared_task(name="groupchat.core.tasks.heartbeat")
def heartbeat() -> str:
    """Store the time of the latest beat tick so /healthz can tell whether the scheduler is alive."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now
