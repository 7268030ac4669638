"""Emptying stored texts once they may go (G13b, PIPL minimisation): the batch loop that groups' removed messages and
moderation's review texts share. Each model it serves has a ``body`` text and a ``content_cleared_at`` mark; the row
itself stays (who, where, when, what was decided), only the words go.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .events import record

BATCH = 1000  # rows per transaction: short row locks next to the live paths that write these tables


def texts_clear(*, due: QuerySet, event: str, data: dict[str, Any], ids_key: str = "ids", batch: int = BATCH) -> int:
    """Empty ``body`` of every row of ``due`` not cleared yet and mark it. Idempotent: a marked row is never read
    again. Returns the count.

    Side effects: per batch of up to ``batch`` rows, in one transaction: ``body`` set to "" and ``content_cleared_at``
    to now, and one network-log record ``event`` (``count``, the ids under ``ids_key``, and ``data``).
    """
    model = due.model
    due = due.filter(content_cleared_at__isnull=True)
    cleared, after = 0, 0
    while True:
        with transaction.atomic():
            # Keyset on id: rows the caller keeps are passed over once, not read again by every batch.
            ids = list(due.filter(id__gt=after).order_by("id").select_for_update(skip_locked=True, of=("self",))
                       .values_list("id", flat=True)[:batch])
            if not ids:
                return cleared
            count = model.objects.filter(id__in=ids).update(body="", content_cleared_at=timezone.now())
            record(event, actor_id=None, data={"count": count, ids_key: ids, **data})
        cleared, after = cleared + count, ids[-1]
