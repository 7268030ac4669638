"""What a report is about: ``"message:<id>"``, ``"user:<id>"`` or ``"group:<code>"``, resolved as the reporter may
see it."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from groupchat.core.errors import ApplicationError
from groups.models import Group, Membership, Message

from .models import TargetKind


@dataclass
class Target:
    kind: str
    key: str
    user: User | None
    group: Group | None
    message: Message | None


def is_member(user: User | None, group: Group) -> bool:
    return user is None or Membership.objects.filter(group=group, user=user).exists()


def target_resolve(*, target: str, reporter: User | None) -> Target:
    """Parse ``"message:<id>"``, ``"user:<id>"`` or ``"group:<code>"`` into what it names, as ``reporter`` may see
    it (a message only in a group they belong to; any user; any group by code). ``reporter=None``: staff entering
    a referral, who see everything."""
    kind, _, ident = (target or "").partition(":")
    if kind not in TargetKind.values or not ident:
        raise ApplicationError("report_target_invalid")
    if kind == TargetKind.MESSAGE:
        message = (Message.objects.select_related("group", "sender").filter(pk=int(ident)).first()
                   if ident.isdigit() else None)
        if message is None or message.kind != "text" or not is_member(reporter, message.group):
            raise ApplicationError("report_target_not_found")
        return Target(kind, f"message:{message.pk}", message.sender, message.group, message)
    if kind == TargetKind.USER:
        user = User.objects.filter(pk=int(ident), is_active=True).first() if ident.isdigit() else None
        if user is None:
            raise ApplicationError("report_target_not_found")
        return Target(kind, f"user:{user.pk}", user, None, None)
    group = Group.objects.select_related("owner").filter(code=ident).first()
    if group is None:
        raise ApplicationError("report_target_not_found")
    return Target(kind, f"group:{group.code}", group.owner, group, None)
