"""What every group write shares: the group audit event (G9b), its network-log row (G13b), and live events."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from groupchat.core.broadcast import broadcast_on_commit, group_channel_group, user_channel_group
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.origin import Origin

from .. import (
    errors,  # noqa: F401  (registers the codes every service raises, whoever imports services first)
    selectors,
)
from ..models import AuditAction, Group, GroupAuditEvent, Membership, Role
from ..payloads import group_payload


def group_event(*, group: Group, actor: User | None, action: AuditAction, origin: Origin | None,
                target: User | None = None, data: dict[str, Any] | None = None) -> GroupAuditEvent:
    """Write the group audit event and its network-log row; call inside the service's transaction."""
    data = data or {}
    event = GroupAuditEvent.objects.create(group=group, actor=actor, action=action, target=target, data=data)
    record(f"group.{action}", actor_id=actor.pk if actor else None, origin=origin, group_code=group.code,
           target_id=target.pk if target else None, data=data)
    return event


def lock_group(group: Group) -> Group:
    """Re-read the group under a row lock: caps, seq and status are checked against this copy."""
    # of=("self",): lock only the group row (the nullable tier join cannot be locked on PostgreSQL).
    return Group.objects.select_for_update(of=("self",)).select_related("owner", "tier").get(pk=group.pk)


def lock_membership(*, group: Group, user: User) -> Membership:
    membership = Membership.objects.select_for_update().filter(group=group, user=user).first()
    if membership is None:
        raise ApplicationError("target_not_member")
    return membership


def require_manager(*, group: Group, actor: User) -> Membership:
    return selectors.membership_require_manager(user=actor, group=group)


def require_owner(*, group: Group, actor: User) -> None:
    if group.owner_id != actor.pk:
        if not Membership.objects.filter(group=group, user=actor).exists():
            raise ApplicationError("not_member")
        raise ApplicationError("not_group_owner")
    membership = Membership.objects.filter(group=group, user=actor).first()
    if membership is not None:
        selectors.admin_suspension_check(membership)


def require_outranks(*, actor_membership: Membership, target: Membership) -> None:
    """Owners act on anyone else; admins only on plain members."""
    if actor_membership.user_id == target.user_id:
        raise ApplicationError("cannot_act_on_self")
    if actor_membership.role != Role.OWNER and target.role != Role.MEMBER:
        raise ApplicationError("cannot_act_on_peer")


def announce_membership(*, group: Group, user_id: int, role: str | None, **extra: Any) -> None:
    """Tell the user's open sockets (they subscribe or unsubscribe) and refresh the group's member count live."""
    broadcast_on_commit(
        [user_channel_group(user_id)],
        {"type": "membership.changed", "group": group.code, "role": role, **extra},
    )
    announce_group(group)


def announce_group(group: Group) -> None:
    broadcast_on_commit([group_channel_group(group.code)], {"type": "group.updated", "group": group_payload(group)})
