"""The moderator roles (Django Groups) and what the measures half of moderation lets them do.

Moderators issue and lift measures and see what is in force; senior moderators also decide appeals (never on a
measure they issued themselves: ``appeal_decide`` refuses that). Permissions are only ever added here, so the
screening half and accounts can add theirs to the same roles.
"""

from __future__ import annotations

MODERATOR = "moderator"
SENIOR_MODERATOR = "senior moderator"

_FIND = ["groups.view_group", "groups.view_message", "groups.view_membership", "accounts.view_user"]
_MEASURES = ["moderation.view_measure", "moderation.issue_measure", "moderation.view_restriction",
             "moderation.view_appeal"]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    MODERATOR: [*_FIND, *_MEASURES],
    SENIOR_MODERATOR: [*_FIND, *_MEASURES, "moderation.decide_appeal"],
}


# Custom permissions live on Measure's Meta; the others are Django's default ``<action>_<model>``.
_CUSTOM = {"issue_measure": ("measure", "Can issue and lift measures"),
           "decide_appeal": ("measure", "Can decide appeals against measures")}


def moderation_roles_ensure(apps=None) -> None:
    """Create the roles and add their permissions (idempotent; permissions only ever added)."""
    role_permissions_grant(ROLE_PERMISSIONS, _CUSTOM, apps)


def role_permissions_grant(role_permissions: dict[str, list[str]], custom: dict[str, tuple[str, str]],
                           apps=None) -> None:
    """Add ``role_permissions`` to the roles (made when missing); ``custom``: codename -> (model, name) of the
    custom permissions, the others named the way Django names its defaults.

    ``apps``: a migration's historical registry. In a data migration on a fresh database Django has not created any
    content type or permission yet (it does after migrate), so they are made here the way Django names them."""
    from django.apps import apps as global_apps

    registry = apps or global_apps
    ContentType = registry.get_model("contenttypes", "ContentType")
    Group = registry.get_model("auth", "Group")
    Permission = registry.get_model("auth", "Permission")
    for name, dotted in role_permissions.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in dotted:
            app_label, codename = perm.split(".")
            action, _, model = codename.partition("_")
            model, label = custom.get(codename) or (model, f"Can {action} {model}")
            content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
            permission, _ = Permission.objects.get_or_create(content_type=content_type, codename=codename,
                                                             defaults={"name": label})
            wanted.append(permission)
        group.permissions.add(*wanted)
