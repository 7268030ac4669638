"""What the screening half of moderation adds to the moderator roles (created by roles_measures.py).

Moderators work the review queues (held, flagged, blocked evidence) and read the rules and switches; senior
moderators also edit and import rules and hold the emergency switches (G5a: only the role may toggle).
"""

from __future__ import annotations

from .roles_measures import MODERATOR, SENIOR_MODERATOR, role_permissions_grant

_READ = ["moderation.view_screeningrule", "moderation.view_rulechange", "moderation.view_blockedattempt",
         "moderation.view_heldmessage", "moderation.view_flaggeditem", "moderation.view_emergencyswitch",
         "moderation.view_switchtoggle", "moderation.review_screening"]
SCREENING_PERMISSIONS: dict[str, list[str]] = {
    MODERATOR: _READ,
    SENIOR_MODERATOR: [*_READ, "moderation.add_screeningrule", "moderation.change_screeningrule",
                       "moderation.toggle_emergency_switch"],
}
# Custom permissions: (model, name) as on the models' Meta.
_CUSTOM = {"review_screening": ("heldmessage", "Can review held and flagged messages"),
           "toggle_emergency_switch": ("emergencyswitch", "Can toggle emergency switches")}


def screening_roles_ensure(apps=None) -> None:
    """Add the screening permissions to the roles (idempotent; only ever adds). ``apps``: a migration's registry."""
    role_permissions_grant(SCREENING_PERMISSIONS, _CUSTOM, apps)
