"""Removed messages' text goes after the log's retention (G13b): hidden from users at once by ``message_remove``,
kept for the retention period counted from the removal, then emptied here. The row stays (seq, sender, times, who
removed it and why), so history keeps its place and the network log's records of it still point somewhere.

Which rows must stay whole (legal holds) is the caller's to say: compliance passes ``keep``, groups never asks it.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from groupchat.core.events import record

from ..models import Message

BATCH = 1000  # rows per transaction: short row locks next to the live message path


def messages_content_clear(*, removed_before: datetime, keep: Q | None = None, batch: int = BATCH) -> int:
    """Empty the text of messages removed (recalled, deleted) before ``removed_before``, except those ``keep``
    matches (a filter on Message). Idempotent: cleared rows are marked and never touched again. Returns the count.

    Side effects: per batch of up to ``batch`` rows, in one transaction: ``body`` set to "" and
    ``content_cleared_at`` to now, and one network-log record ``message.content_cleared`` (their ids, the cutoff).
    """
    due = Message.objects.filter(removed_at__lt=removed_before, content_cleared_at__isnull=True)
    if keep is not None:
        due = due.exclude(keep)
    cleared, after = 0, 0
    while True:
        with transaction.atomic():
            # Keyset on id: held rows that stay uncleared are passed over once, not read again by every batch.
            ids = list(due.filter(id__gt=after).order_by("id").select_for_update(skip_locked=True, of=("self",))
                       .values_list("id", flat=True)[:batch])
            if not ids:
                return cleared
            now = timezone.now()
            count = Message.objects.filter(id__in=ids).update(body="", content_cleared_at=now)
            record("message.content_cleared", actor_id=None,
                   data={"count": count, "message_ids": ids, "removed_before": removed_before.isoformat()})
        cleared, after = cleared + count, ids[-1]
