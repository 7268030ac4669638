"""Moderation's copies of texts after the retention period (G13b, PIPL minimisation).

Screening keeps texts only to review them: a held message, a flagged text, the text of a blocked attempt. Once the
review is over they are review material and nothing else, so they go when the retention period has passed since the
decision (since creation for a blocked attempt, which is never decided). A held message or flag still waiting for a
moderator is never cleared: emptying it would deliver (or judge) an empty text. A measure's evidence is not touched:
it is the measure's own immutable, hashed snapshot and stays with the measure, as a complaint's evidence stays with
its case. Which rows a legal hold keeps is the caller's to say (compliance passes ``keep``).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from groupchat.core.text_clear import BATCH, texts_clear

from .models_screening import BlockedAttempt, FlaggedItem, HeldMessage, HeldStatus, ReviewStatus


def _due(decided_before: datetime) -> dict[str, QuerySet]:
    """Per kind (the network-log record's ``kind``): the rows whose review ended before ``decided_before``."""
    def decided(model, done) -> QuerySet:
        # A decided row without a decision time (none is written so today) counts from its creation.
        return (model.objects.filter(status__in=done).alias(decided=Coalesce("decided_at", "created_at"))
                .filter(decided__lt=decided_before))

    return {
        "held_message": decided(HeldMessage, [HeldStatus.RELEASED, HeldStatus.REMOVED]),
        "flagged_item": decided(FlaggedItem, [ReviewStatus.CLEARED, ReviewStatus.ACTIONED]),
        "blocked_attempt": BlockedAttempt.objects.filter(created_at__lt=decided_before),
    }


def review_texts_clear(*, decided_before: datetime, keep: Q | None = None, batch: int = BATCH) -> dict[str, int]:
    """Empty the texts of held messages and flagged items decided before ``decided_before`` and of blocked attempts
    made before it, except those ``keep`` matches (a filter on their ``sender``, ``group`` and ``created_at``).
    Idempotent: cleared rows are marked and never touched again. Returns the count per kind.

    Side effects: per kind and batch of up to ``batch`` rows, in one transaction: ``body`` set to "" and
    ``content_cleared_at`` to now, and one network-log record ``moderation.content_cleared`` (kind, ids, cutoff).
    """
    counts = {}
    for kind, due in _due(decided_before).items():
        if keep is not None:
            due = due.exclude(keep)
        counts[kind] = texts_clear(due=due, event="moderation.content_cleared", batch=batch,
                                   data={"kind": kind, "decided_before": decided_before.isoformat()})
    return counts
