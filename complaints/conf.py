"""This app's settings, with defaults (REGULATION §5.10). Override any key with ``COMPLAINTS = {...}`` in settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Urgent categories (terrorism, child sexual content, fraud in progress, threats to life): triaged and decided
    # within this many hours of the report.
    "URGENT_HOURS": 1,
    # Everything else: triaged within this many (calendar) hours, decided within this many working days.
    "TRIAGE_HOURS": 24,
    "DECIDE_WORKING_DAYS": 3,
    # The sweep raises a case as "nearing" its deadline when less than this share of its window is left.
    "NEARING_SHARE": 0.25,
    # Messages kept on each side of a reported message in the frozen evidence.
    "EVIDENCE_CONTEXT": 5,
    # Further messages of the same group a reporter may add as evidence.
    "EVIDENCE_MAX_CHOSEN": 20,
    "TEXT_MAX_CHARS": 1000,
    # Per-user report rates (the ``limits`` notation); all must allow a report.
    "REPORT_RATES": ["5/minute", "30/day"],
}


def conf(name: str) -> Any:
    return getattr(settings, "COMPLAINTS", {}).get(name, DEFAULTS[name])
