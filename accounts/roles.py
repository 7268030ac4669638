"""Staff roles as Django Groups with the permissions their duty needs, and no more (GB/T 35273: separate roles)."""

from __future__ import annotations

from django.apps import apps as django_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

IDENTITY_REVIEWER = "identity reviewer"
COMPLIANCE_OFFICER = "compliance officer"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Works the verification queue: sees masked data, approves or rejects, may reveal with a recorded reason.
    IDENTITY_REVIEWER: [
        "accounts.view_identitysubmission", "accounts.review_identity", "accounts.reveal_identity",
    ],
    # Reads the reveal log, consents, acceptances and the credit ledger; edits agreements and the grade table.
    COMPLIANCE_OFFICER: [
        "accounts.view_identityreveal", "accounts.view_identitysubmission", "accounts.view_identityconsent",
        "accounts.view_agreement", "accounts.add_agreement", "accounts.change_agreement",
        "accounts.view_agreementacceptance", "accounts.view_creditevent", "accounts.view_gradepermission",
        "accounts.change_gradepermission",
    ],
}


def roles_ensure() -> dict[str, Group]:
    """Create (or complete) the role Groups with their permissions. Idempotent; the demo seeding calls it."""
    create_permissions(django_apps.get_app_config("accounts"), verbosity=0)
    groups: dict[str, Group] = {}
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.add(*wanted)
        groups[name] = group
    return groups
