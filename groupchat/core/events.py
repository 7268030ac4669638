"""``record()``: the one way services write the network log (G13b)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import LogEntry
from .origin import SYSTEM, Origin
from .sql import insert_rows


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
        server_ip=origin.server_ip,
        server_port=origin.server_port,
        data=data or {},
    )


_MANY_COLUMNS = ("created_at", "kind", "actor_id", "group_code", "target_id", "ip", "port", "user_agent", "server_ip",
                 "server_port", "data")


def record_many(rows: list[dict[str, Any]]) -> None:
    """Append several rows in one INSERT (the batched send path). Each row is ``record``'s arguments as a dict, with
    ``at`` required and ``origin`` an Origin; call inside the service's transaction, as for ``record``."""
    insert_rows(LogEntry, _MANY_COLUMNS, [
        (row["at"], row["kind"], row.get("actor_id"), row.get("group_code", ""), row.get("target_id"),
         (origin := row.get("origin") or SYSTEM).ip, origin.port, origin.user_agent, origin.server_ip,
         origin.server_port, row.get("data") or {})
        for row in rows
    ])
