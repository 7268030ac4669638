"""Removed messages' content after the retention period (G13b, §5.7): recalled and deleted messages are hidden at
once by groups; their text is kept as long as the network log is (counted from the removal), then groups empties
it. Compliance decides when and what a legal hold keeps; groups does the write (``messages_content_clear``).
Moderation's review texts (held, flagged, blocked) go by the same cutoff, counted from the decision
(``review_texts_clear``); a hold covers them by the same columns as a message (sender, group, time sent).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from groups.services import messages_content_clear
from moderation.review_texts import review_texts_clear

from .. import conf
from ..models import MESSAGE_FIELDS, LegalHold, holds_cover


def removed_content_cutoff(now: datetime) -> datetime:
    """Messages removed before this lose their text: the retention period back from ``now`` (never under the floor)."""
    return now - conf.retention()


def removed_content_clear(*, now: datetime | None = None) -> int:
    """Empty the text of messages removed, and of moderation's review texts decided, longer ago than the retention
    period, except those an active legal hold covers (by sender, group code, time sent). Returns how many texts were
    cleared; a second run clears none.

    Side effects: groups' ``messages_content_clear`` (``message.content_cleared`` records) and moderation's
    ``review_texts_clear`` (``moderation.content_cleared`` records): bodies emptied and marked.
    """
    now = now or timezone.now()
    keep = holds_cover(LegalHold.objects.active(), MESSAGE_FIELDS)
    cutoff = removed_content_cutoff(now)
    reviewed = review_texts_clear(decided_before=cutoff, keep=keep)
    return messages_content_clear(removed_before=cutoff, keep=keep) + sum(reviewed.values())
