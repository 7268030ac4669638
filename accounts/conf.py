"""This app's settings, with defaults (REGULATION §5). Override any key with ``ACCOUNTS = {...}`` in settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

DEFAULTS: dict[str, Any] = {
    # Providers, chosen by dotted path (accounts.providers holds the dev/manual implementations).
    "SMS_SENDER": "accounts.providers.FileSmsSender",
    "IDENTITY_CHECKER": "accounts.providers.ManualReviewChecker",
    "NETWORK_ID_VERIFIER": "accounts.providers.DevNetworkIdVerifier",
    "PHONE_CODE_TTL_SECONDS": 300,
    "PHONE_CODE_MAX_ATTEMPTS": 5,
    "PHONE_CODE_RESEND_SECONDS": 60,
    # How many accounts one real identity may verify at L2 (blind-index match).
    "ACCOUNTS_PER_IDENTITY": 1,
    # The minimum level to post, create a group or join one by request (§5.4-5.5).
    "POST_LEVEL": 1,
    # Credit (§5.8): score 0-100, start 80; grades by lower bound, best first.
    "CREDIT_START": 80,
    "CREDIT_GRADES": [("A", 90), ("B", 70), ("C", 50), ("D", 0)],
    # Recovery: +N after every full period without a violation, never above the start score.
    "CREDIT_RECOVERY_DAYS": 30,
    "CREDIT_RECOVERY_POINTS": 1,
    # Fixed penalties for confirmed violations by severity (moderation measures pass one of these keys).
    "CREDIT_PENALTIES": {"minor": -5, "serious": -15, "grave": -30},
    # Fallback grade permissions when the admin-edited table has no row for a grade (§5.3).
    "GRADE_PERMISSIONS": {
        "A": {"groups_owned_max": 20, "groups_created_per_day": 5, "groups_joined_max": 500, "admin_eligible": True,
              "max_owned_tier": "large", "message_rate": "20/10second"},
        "B": {"groups_owned_max": 10, "groups_created_per_day": 3, "groups_joined_max": 300, "admin_eligible": True,
              "max_owned_tier": "medium", "message_rate": "20/10second"},
        "C": {"groups_owned_max": 3, "groups_created_per_day": 1, "groups_joined_max": 100, "admin_eligible": False,
              "max_owned_tier": "small", "message_rate": "10/10second"},
        "D": {"groups_owned_max": 0, "groups_created_per_day": 0, "groups_joined_max": 50, "admin_eligible": False,
              "max_owned_tier": "", "message_rate": "5/10second"},
    },
}


def conf(name: str) -> Any:
    return getattr(settings, "ACCOUNTS", {}).get(name, DEFAULTS[name])


@checks.register()
def post_level_floor_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """G6a: no publishing without real-name verification, so posting needs at least L1. A lower ``POST_LEVEL`` is a
    configuration error (the server refuses to start), not a setting."""
    level = conf("POST_LEVEL")
    if not isinstance(level, int) or level < 1:
        return [checks.Error(f"ACCOUNTS['POST_LEVEL'] is {level!r}: posting needs at least L1 (phone) verification.",
                             hint="Set it to 1 (phone), 2 (identity) or 3 (organisation).", id="accounts.E001")]
    return []
