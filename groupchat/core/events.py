"""``record()``: the one way services write the network log (G13b)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import LogEntry
from .origin import SYSTEM, Origin


def record(
    kind: str,
    *,
    actor_id: int | None,
    origin: Origin | None = None,
    group_code: str = "",
    target_id: int | None = None,
    data: dict[str, Any] | None = None,
    at=None,
) -> LogEntry:
    """Append one network-log row. Call inside the service's transaction so the row commits with the change."""
    origin = origin or SYSTEM
    return LogEntry.objects.create(
        created_at=at or timezone.now(),
        kind=kind,
        actor_id=actor_id,
        group_code=group_code,
        target_id=target_id,
        ip=origin.ip,
        port=origin.port,
        user_agent=origin.user_agent,
        data=data or {},
    )


def record_many(entries: list[LogEntry]) -> None:
    """Append several prepared rows in one INSERT (the batched send path)."""
    LogEntry.objects.bulk_create(entries)
