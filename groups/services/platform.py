"""What the platform (moderation's measures) changes on groups and memberships: posting suspension, credit stars,
blacklist visibility, suspended admin powers.

Groups owns these columns; moderation calls these services inside its measure's transaction, so the measure record
and the change commit together. Each writes the group audit event and network-log row and tells open sockets after
commit. None checks a permission: the calling measure service has (the operator is platform staff).
"""

from __future__ import annotations

from datetime import datetime

import orjson
from django.db import transaction

from accounts.models import User
from groupchat.core.broadcast import broadcast_on_commit, group_channel_group, user_channel_group
from groupchat.core.origin import Origin

from ..models import AuditAction, Group, GroupStatus, Membership
from ..selectors import MANAGER_ROLES
from ._common import announce_group, group_event, lock_group
from .messages import send_gate_bump


def _status_frame(group: Group, *, reason: str, **extra) -> None:
    """A ``group_status`` frame to every open socket of the group, encoded once here.

    Sent as an already encoded frame (the event the consumer writes straight to the socket from the layer's receive
    loop, as it does message frames), not as a ``group.status`` event each consumer formats in its own task: a
    measure on a group of thousands is told to all of them in one pass of the loop (bench/measures.py)."""
    until = group.status_until.isoformat() if group.status_until and group.status == GroupStatus.SUSPENDED else None
    frame = {"type": "group_status", "group": group.code, "status": group.status, "all_muted": group.all_muted,
             "until": until, "reason": reason, **extra}
    broadcast_on_commit([group_channel_group(group.code)],
                        {"type": "message.batch", "frame": orjson.dumps(frame).decode()})


@transaction.atomic
def group_posting_suspend(*, actor: User | None, group: Group, until: datetime, reason: str,
                          origin: Origin | None = None) -> Group:
    """Suspend posting in ``group`` until ``until`` (a platform measure, G11a). Members stay; reading works.

    Side effects: audit + network log ``group.settings``; live ``group_status`` (suspended, until) to the group."""
    group = lock_group(group)
    if group.status == GroupStatus.CLOSED or (group.status == GroupStatus.SUSPENDED and group.status_until == until):
        return group
    group.status, group.status_until, group.status_reason = GroupStatus.SUSPENDED, until, reason[:200]
    send_gate_bump(group_ids=[group.pk])  # a send checked before this commits is checked again at the store
    group.save(update_fields=["status", "status_until", "status_reason"])
    group_event(group=group, actor=actor, action=AuditAction.SETTINGS, origin=origin,
                data={"status": "suspended", "until": until.isoformat(), "reason": reason[:200]})
    _status_frame(group, reason=reason)
    return group


@transaction.atomic
def group_posting_resume(*, actor: User | None, group: Group, reason: str, origin: Origin | None = None) -> Group:
    """End a posting suspension (lifted, or its time is up). Idempotent: an open or closed group is left alone.

    Side effects: audit + network log ``group.settings``; live ``group_status`` (open) to the group."""
    group = lock_group(group)
    if group.status != GroupStatus.SUSPENDED:
        return group
    group.status, group.status_until, group.status_reason = GroupStatus.OPEN, None, ""
    group.save(update_fields=["status", "status_until", "status_reason"])
    group_event(group=group, actor=actor, action=AuditAction.SETTINGS, origin=origin,
                data={"status": "open", "reason": reason[:200]})
    _status_frame(group, reason=reason)
    return group


@transaction.atomic
def group_stars_set(*, actor: User | None, group: Group, stars: int, reason: str,
                    origin: Origin | None = None) -> Group:
    """Set the group's credit stars (1-5). Side effects: audit + network log; live ``group`` update to members."""
    if not 1 <= stars <= 5:
        raise ValueError("stars are 1..5")
    group = lock_group(group)
    if group.credit_stars == stars:
        return group
    before, group.credit_stars = group.credit_stars, stars
    group.save(update_fields=["credit_stars"])
    group_event(group=group, actor=actor, action=AuditAction.SETTINGS, origin=origin,
                data={"credit_stars": stars, "from": before, "reason": reason[:200]})
    announce_group(group)
    return group


@transaction.atomic
def group_blacklist_set(*, actor: User | None, group: Group, until: datetime | None, reason: str,
                        origin: Origin | None = None) -> Group:
    """Mark (``until`` a time) or unmark (``None``) the group as blacklisted: hidden from search, closed to joins.

    Side effects: audit + network log; live ``group_status`` with ``blacklisted`` to the group."""
    group = lock_group(group)
    if group.blacklisted_until == until:
        return group
    group.blacklisted_until = until
    group.save(update_fields=["blacklisted_until"])
    group_event(group=group, actor=actor, action=AuditAction.SETTINGS, origin=origin,
                data={"blacklisted_until": until.isoformat() if until else None, "reason": reason[:200]})
    _status_frame(group, reason=reason, blacklisted=until is not None)
    return group


@transaction.atomic
def member_admin_suspend(*, actor: User | None, user: User, until: datetime | None, reason: str,
                         origin: Origin | None = None) -> list[str]:
    """Suspend (``until`` a time) or restore (``None``) the owner/admin powers of ``user`` in every group where they
    manage. The role and the membership stay (G11b: a suspended admin is still a member).

    Returns the codes of the groups touched. Side effects: audit + network log per group; live ``membership`` frame
    (with ``admin_suspended_until``) to the user's sockets."""
    memberships = list(Membership.objects.select_for_update().select_related("group")
                       .filter(user=user, role__in=MANAGER_ROLES))
    codes = []
    for m in memberships:
        if m.admin_suspended_until == until:
            continue
        m.admin_suspended_until = until
        m.save(update_fields=["admin_suspended_until"])
        group_event(group=m.group, actor=actor, action=AuditAction.ROLE, origin=origin, target=user,
                    data={"admin_suspended_until": until.isoformat() if until else None, "reason": reason[:200]})
        broadcast_on_commit([user_channel_group(user.pk)], {
            "type": "membership.changed", "group": m.group.code, "role": m.role,
            "admin_suspended_until": until.isoformat() if until else None,
        })
        codes.append(m.group.code)
    return codes

