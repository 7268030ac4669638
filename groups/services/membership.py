"""Joining and leaving, join requests, invitations, removal, bans and mutes (G8a, G8c, G9b).

Invariants: the member cap is checked and ``member_count`` changed only while holding the group's row lock, so
concurrent joins never exceed the cap; a banned user cannot rejoin until unbanned; every change writes a group audit
event and a network-log row (joins carry the inviter).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import gates as account_gates
from accounts.models import User
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.hooks import run_hooks
from groupchat.core.origin import Origin

from ..models import (
    AuditAction,
    Ban,
    Group,
    GroupStatus,
    Invitation,
    InvitationStatus,
    JoinMode,
    JoinRequest,
    Membership,
    RequestStatus,
    Role,
)
from . import tiers
from ._common import (
    announce_membership,
    group_event,
    lock_group,
    lock_membership,
    require_manager,
    require_outranks,
)
from .messages import send_gate_bump

MAX_MUTE = timedelta(days=30)


def _refuse_entry(*, group: Group, user: User) -> None:
    """Who may not join or ask to join at all: the group is closed, they are in it, or they are banned from it."""
    if group.status == GroupStatus.CLOSED:
        raise ApplicationError("group_closed")
    if Membership.objects.filter(group=group, user=user).exists():
        raise ApplicationError("already_member")
    if Ban.objects.filter(group=group, user=user).exists():
        raise ApplicationError("banned_from_group")


def _add_member(*, group: Group, user: User, origin: Origin, invited_by: User | None = None,
                approved_by: User | None = None, via: str) -> Membership:
    """Add ``user`` to the (already locked) ``group``: cap, ban and status checks, then the row and its records."""
    _refuse_entry(group=group, user=user)
    if group.member_count >= group.member_cap:
        raise ApplicationError("group_full")
    tiers.join_policy_check(group=group, via=via)
    tiers.user_join_cap_check(user=user)
    account_gates.group_join_check(user=user)
    # The apps above add theirs (moderation: blacklist, restricted group, the link-joining emergency switch).
    run_hooks("group.join.check", user=user, group=group, via=via)
    membership = Membership.objects.create(group=group, user=user, role=Role.MEMBER, invited_by=invited_by)
    Group.objects.filter(pk=group.pk).update(member_count=F("member_count") + 1)
    group.member_count += 1
    JoinRequest.objects.filter(group=group, user=user, status=RequestStatus.PENDING).update(
        status=RequestStatus.APPROVED, decided_by=approved_by, decided_at=timezone.now()
    )
    group_event(group=group, actor=approved_by or user, action=AuditAction.JOIN, origin=origin, target=user,
                data={"via": via, "inviter": invited_by.pk if invited_by else None,
                      "approved_by": approved_by.pk if approved_by else None})
    announce_membership(group=group, user_id=user.pk, role=Role.MEMBER)
    return membership


@transaction.atomic
def group_join(*, user: User, group: Group, answer: str = "", origin: Origin) -> Membership | JoinRequest:
    """Join an open group at once, or file a join request for approval (G8c).

    Returns the membership, or the pending request. Refusals: ``invite_only``, ``answer_required``,
    ``request_pending``, ``group_full``, ``banned_from_group``, ``already_member``, ``group_closed``.
    """
    group = lock_group(group)
    if group.join_mode == JoinMode.INVITE:
        raise ApplicationError("invite_only")
    if group.join_mode == JoinMode.OPEN:
        return _add_member(group=group, user=user, origin=origin, via="open")
    _refuse_entry(group=group, user=user)
    if group.join_mode == JoinMode.QUESTION and not answer.strip():
        raise ApplicationError("answer_required")
    if JoinRequest.objects.filter(group=group, user=user, status=RequestStatus.PENDING).exists():
        raise ApplicationError("request_pending")
    account_gates.group_join_check(user=user)
    run_hooks("group.join.check", user=user, group=group, via="request")
    request = JoinRequest.objects.create(group=group, user=user, answer=answer.strip()[:400])
    record("group.join_request", actor_id=user.pk, origin=origin, group_code=group.code,
           data={"request": request.pk})
    return request


@transaction.atomic
def join_request_decide(*, actor: User, request_id: int, approve: bool, origin: Origin) -> JoinRequest:
    """Approve (the user becomes a member, if there is room) or refuse a pending join request."""
    request = JoinRequest.objects.select_for_update().select_related("group", "user").get(pk=request_id)
    require_manager(group=request.group, actor=actor)
    if request.status != RequestStatus.PENDING:
        raise ApplicationError("request_not_pending")
    group = lock_group(request.group)
    if approve:
        _add_member(group=group, user=request.user, origin=origin, approved_by=actor, via="approval")
        request.refresh_from_db()
    else:
        request.status = RequestStatus.REFUSED
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_by", "decided_at"])
        group_event(group=group, actor=actor, action=AuditAction.REFUSE, origin=origin, target=request.user)
    return request


@transaction.atomic
def invitation_create(*, actor: User, group: Group, origin: Origin, invitee: User | None = None) -> Invitation:
    """Invite one user (they must accept) or, with no invitee, create a shareable link; both expire (7 days)."""
    require_manager(group=group, actor=actor)
    if group.status == GroupStatus.CLOSED:
        raise ApplicationError("group_closed")
    if invitee is not None and Membership.objects.filter(group=group, user=invitee).exists():
        raise ApplicationError("already_member")
    run_hooks("group.invite.check", user=actor, group=group, invitee=invitee)
    invitation = Invitation.objects.create(
        group=group, inviter=actor, invitee=invitee, token=secrets.token_urlsafe(32),
        expires_at=timezone.now() + timedelta(days=settings.GROUPCHAT["INVITE_TTL_DAYS"]),
    )
    group_event(group=group, actor=actor, action=AuditAction.LINK if invitee is None else AuditAction.INVITE,
                origin=origin, target=invitee, data={"invitation": invitation.pk})
    if invitee is not None:
        announce_membership(group=group, user_id=invitee.pk, role=None, invitation=invitation.token)
    return invitation


def _usable_invitation(token: str) -> Invitation:
    invitation = Invitation.objects.select_for_update().select_related("group", "inviter").filter(token=token).first()
    if invitation is None or invitation.status not in (InvitationStatus.PENDING, InvitationStatus.EXPIRED):
        raise ApplicationError("invitation_invalid")
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= timezone.now():
        raise ApplicationError("invitation_expired")
    return invitation


@transaction.atomic
def invitation_accept(*, user: User, token: str, origin: Origin) -> Membership:
    """Accept a personal invitation or use a link. Expired -> ``invitation_expired`` (HTTP 410)."""
    invitation = _usable_invitation(token)
    if invitation.invitee_id is not None and invitation.invitee_id != user.pk:
        raise ApplicationError("not_invitee")
    group = lock_group(invitation.group)
    membership = _add_member(group=group, user=user, origin=origin, invited_by=invitation.inviter,
                             via="link" if invitation.is_link else "invitation")
    invitation.uses += 1
    if not invitation.is_link:
        invitation.status = InvitationStatus.ACCEPTED
    invitation.save(update_fields=["uses", "status"])
    return membership


@transaction.atomic
def invitation_decline(*, user: User, token: str) -> Invitation:
    invitation = _usable_invitation(token)
    if invitation.invitee_id != user.pk:
        raise ApplicationError("not_invitee")
    invitation.status = InvitationStatus.DECLINED
    invitation.save(update_fields=["status"])
    return invitation


def invitations_expire_due() -> int:
    """Mark every pending invitation past its expiry as expired (the hourly beat job). Idempotent."""
    return Invitation.objects.filter(status=InvitationStatus.PENDING, expires_at__lte=timezone.now()).update(
        status=InvitationStatus.EXPIRED
    )


def _remove_membership(*, group: Group, membership: Membership) -> None:
    send_gate_bump(group_ids=[group.pk])  # a send checked before this commits is checked again at the store
    membership.delete()
    Group.objects.filter(pk=group.pk).update(member_count=F("member_count") - 1)
    group.member_count -= 1


@transaction.atomic
def member_leave(*, user: User, group: Group, origin: Origin) -> None:
    """Leave a group. The owner must transfer ownership first."""
    group = lock_group(group)
    membership = Membership.objects.select_for_update().filter(group=group, user=user).first()
    if membership is None:
        raise ApplicationError("not_member")
    if membership.role == Role.OWNER:
        raise ApplicationError("owner_cannot_leave")
    _remove_membership(group=group, membership=membership)
    group_event(group=group, actor=user, action=AuditAction.LEAVE, origin=origin, target=user)
    announce_membership(group=group, user_id=user.pk, role=None)


@transaction.atomic
def member_remove(*, actor: User, group: Group, target: User, origin: Origin, ban: bool = False,
                  reason: str = "") -> None:
    """Remove a member, optionally banning them from rejoining. Owners remove anyone, admins plain members."""
    actor_membership = require_manager(group=group, actor=actor)
    group = lock_group(group)
    membership = lock_membership(group=group, user=target)
    require_outranks(actor_membership=actor_membership, target=membership)
    _remove_membership(group=group, membership=membership)
    if ban:
        Ban.objects.get_or_create(group=group, user=target, defaults={"banned_by": actor, "reason": reason[:200]})
    group_event(group=group, actor=actor, action=AuditAction.BAN if ban else AuditAction.REMOVE, origin=origin,
                target=target, data={"reason": reason})
    announce_membership(group=group, user_id=target.pk, role=None, reason="banned" if ban else "removed")


@transaction.atomic
def member_unban(*, actor: User, group: Group, target: User, origin: Origin) -> None:
    require_manager(group=group, actor=actor)
    deleted, _ = Ban.objects.filter(group=group, user=target).delete()
    if deleted:
        group_event(group=group, actor=actor, action=AuditAction.UNBAN, origin=origin, target=target)


@transaction.atomic
def member_mute(*, actor: User, group: Group, target: User, minutes: int | None, origin: Origin) -> Membership:
    """Mute a member for ``minutes`` (1 minute to 30 days), or unmute with ``minutes=None``."""
    actor_membership = require_manager(group=group, actor=actor)
    send_gate_bump(group_ids=[group.pk])  # the group row first, as every group write locks it: no deadlock
    membership = lock_membership(group=group, user=target)
    require_outranks(actor_membership=actor_membership, target=membership)
    if minutes is None:
        membership.muted_until = None
        action = AuditAction.UNMUTE
    else:
        duration = timedelta(minutes=int(minutes))
        if not timedelta(minutes=1) <= duration <= MAX_MUTE:
            raise ApplicationError("invalid_duration")
        membership.muted_until = timezone.now() + duration
        action = AuditAction.MUTE
    membership.save(update_fields=["muted_until"])
    until = membership.muted_until.isoformat() if membership.muted_until else None
    group_event(group=group, actor=actor, action=action, origin=origin, target=target, data={"until": until})
    announce_membership(group=group, user_id=target.pk, role=membership.role, muted_until=until)
    return membership


def rules_accept(*, user: User, group: Group) -> Membership:
    """Record that the member has read the group's rules (shown before their first message)."""
    membership = Membership.objects.filter(group=group, user=user).first()
    if membership is None:
        raise ApplicationError("not_member")
    if membership.rules_accepted_at is None:
        membership.rules_accepted_at = timezone.now()
        membership.save(update_fields=["rules_accepted_at"])
    return membership


def read_mark(*, user: User, group_code: str, seq: int) -> None:
    """Move the user's read cursor forward (never back); drives unread counts."""
    Membership.objects.filter(user=user, group__code=group_code, last_read_seq__lt=seq).update(last_read_seq=seq)
