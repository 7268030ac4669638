"""Removed messages' text goes after the log's retention (G13b): hidden from users at once by ``message_remove``,
kept for the retention period counted from the removal, then emptied here. The row stays (seq, sender, times, who
removed it and why), so history keeps its place and the network log's records of it still point somewhere.

Which rows must stay whole (legal holds) is the caller's to say: compliance passes ``keep``, groups never asks it.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from groupchat.core.text_clear import BATCH, texts_clear

from ..models import Message


def messages_content_clear(*, removed_before: datetime, keep: Q | None = None, batch: int = BATCH) -> int:
    """Empty the text of messages removed (recalled, deleted) before ``removed_before``, except those ``keep``
    matches (a filter on Message). Idempotent: cleared rows are marked and never touched again. Returns the count.

    Side effects: per batch of up to ``batch`` rows, in one transaction: ``body`` set to "" and
    ``content_cleared_at`` to now, and one network-log record ``message.content_cleared`` (their ids, the cutoff).
    """
    due = Message.objects.filter(removed_at__lt=removed_before)
    if keep is not None:
        due = due.exclude(keep)
    return texts_clear(due=due, event="message.content_cleared", ids_key="message_ids", batch=batch,
                       data={"removed_before": removed_before.isoformat()})
