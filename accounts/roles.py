"""Staff roles as Django Groups with the permissions their duty needs, and no more (GB/T 35273: separate roles).

The list is open: an app above accounts adds its roles' permissions in its ``AppConfig.ready()`` with
``role_permissions_add(MODERATOR, ["moderation.view_measure", ...])`` (accounts never imports it), and
``roles_ensure()`` (after every migrate, and from the demo seeding) creates the Groups and grants what is registered.
Permissions are only ever added, so roles a data migration made keep theirs.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps as django_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

IDENTITY_REVIEWER = "identity reviewer"
COMPLIANCE_OFFICER = "compliance officer"
MODERATOR = "moderator"

_ROLES: dict[str, list[str]] = {
    # Works the verification queue: sees masked data, approves or rejects, may reveal with a recorded reason.
    IDENTITY_REVIEWER: [
        "accounts.view_identitysubmission", "accounts.review_identity", "accounts.reveal_identity",
    ],
    # Reads the reveal log, consents, acceptances, the credit ledger and the network log; edits agreements and the
    # grade table.
    COMPLIANCE_OFFICER: [
        "accounts.view_identityreveal", "accounts.view_identitysubmission", "accounts.view_identityconsent",
        "accounts.view_agreement", "accounts.add_agreement", "accounts.change_agreement",
        "accounts.view_agreementacceptance", "accounts.view_creditevent", "accounts.view_gradepermission",
        "accounts.change_gradepermission", "core.view_logentry",
    ],
    # Looks up users and what they did (the network log); groups and moderation add what they own.
    MODERATOR: ["accounts.view_user", "core.view_logentry"],
}


def role_permissions_add(role: str, permissions: Iterable[str]) -> None:
    """Grant ``role`` these ``"app_label.codename"`` permissions (a new role when unknown). Call from ``ready()``."""
    wanted = _ROLES.setdefault(role, [])
    wanted.extend(p for p in permissions if p not in wanted)


def role_permissions() -> dict[str, list[str]]:
    return {role: list(perms) for role, perms in _ROLES.items()}


def roles_ensure() -> dict[str, Group]:
    """Create (or complete) the role Groups with their registered permissions. Idempotent; runs after migrate."""
    labels = {dotted.split(".", 1)[0] for perms in _ROLES.values() for dotted in perms}
    for label in labels:
        # A permission of an app migrated after accounts may not exist yet when accounts' post_migrate runs.
        create_permissions(django_apps.get_app_config(label), verbosity=0)
    groups: dict[str, Group] = {}
    for name, perms in _ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.add(*wanted)
        groups[name] = group
    return groups
