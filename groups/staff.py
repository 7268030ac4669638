"""Groups' part of the staff roles: what a moderator may see here, and the admin-home panels for it.

Registered from ``GroupsConfig.ready()`` through accounts' role registry and the kernel's panel registry, so neither
lower layer names this app's models in code.
"""

from __future__ import annotations

from accounts.roles import COMPLIANCE_OFFICER, MODERATOR, role_permissions_add
from groupchat.core.admin_panels import Panel, register_panel


def _pending_applications() -> int:
    from .models import ApplicationStatus, GroupApplication

    return GroupApplication.objects.filter(status=ApplicationStatus.PENDING).count()


def staff_ready() -> None:
    # A moderator looks groups, their members (the group page's member list) and messages up; the audit trail too.
    role_permissions_add(MODERATOR, ["groups.view_group", "groups.view_membership", "groups.view_message",
                                     "groups.view_groupauditevent", "groups.view_groupapplication"])
    # The compliance officer files the tier system (G7a; the filing records are compliance's) and reads it here.
    role_permissions_add(COMPLIANCE_OFFICER, ["groups.view_tierchange", "groups.view_tierpolicy",
                                              "groups.view_groupcategory"])
    section = {"section_zh": "群组", "section_en": "Groups"}
    register_panel(Panel(key="groups", zh="群组（按群号查找）", en="Groups (look up by code)", url="/admin/groups/group/",
                         permission="groups.view_group", order=40, **section))
    register_panel(Panel(key="messages", zh="消息（按群号查找）", en="Messages (look up by group code)",
                         url="/admin/groups/message/", permission="groups.view_message", order=41, **section))
    register_panel(Panel(key="group-applications", zh="待审核的建群与升级申请", en="Group applications to review",
                         url="/admin/groups/groupapplication/?status__exact=pending",
                         permission="groups.view_groupapplication", count=_pending_applications, order=42, **section))
