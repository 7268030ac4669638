"""Removed messages' content after the retention period (G13b, §5.7): recalled and deleted messages are hidden at
once by groups; their text is kept as long as the network log is (counted from the removal), then groups empties
it. Compliance decides when and what a legal hold keeps; groups does the write (``messages_content_clear``).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from groups.services import messages_content_clear

from .. import conf
from ..models import MESSAGE_FIELDS, LegalHold, holds_cover


def removed_content_cutoff(now: datetime) -> datetime:
    """Messages removed before this lose their text: the retention period back from ``now`` (never under the floor)."""
    return now - conf.retention()


def removed_content_clear(*, now: datetime | None = None) -> int:
    """Empty the text of messages removed longer ago than the retention period, except those an active legal hold
    covers (by sender, group code, time sent). Returns how many were cleared; a second run clears none.

    Side effects: groups' ``messages_content_clear`` (bodies emptied and marked, ``message.content_cleared`` records).
    """
    now = now or timezone.now()
    keep = holds_cover(LegalHold.objects.filter(released_at__isnull=True), MESSAGE_FIELDS)
    return messages_content_clear(removed_before=removed_content_cutoff(now), keep=keep)
