"""Group lifecycle: create, edit, roles, ownership transfer, whole-group mute, close.

Invariants: exactly one owner membership per group, equal to ``Group.owner``; ``member_count`` equals the number of
memberships (changed only under the group's row lock); a code, once issued, is never issued again.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.gates import group_admin_check as account_admin_check
from accounts.gates import group_create_check as account_create_check
from accounts.models import User
from accounts.selectors import grade_permissions_for
from groupchat.core.broadcast import broadcast_on_commit, group_channel_group
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.hooks import run_hooks
from groupchat.core.origin import Origin

from ..codes import group_code_issue
from ..models import (
    AuditAction,
    Group,
    GroupApplication,
    GroupStatus,
    JoinMode,
    Membership,
    OwnerDutyAcknowledgement,
    Role,
    TierChange,
    TierPolicy,
)
from ..screening import TEXT_SCREEN_HOOK
from . import tiers
from ._common import (
    announce_group,
    announce_membership,
    group_event,
    lock_group,
    lock_membership,
    require_manager,
    require_owner,
)
from .messages import send_gate_bump

_UNSET = object()


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 60:
        raise ApplicationError("invalid_group_name")
    return name


def _screen_texts(*, user: User, texts: dict[str, object]) -> None:
    """Texts members and visitors read are screened like messages (G10): moderation's ``text.screen`` hook refuses
    one with ``content_blocked``. Field names: group_name, announcement, rules, join_question."""
    for field, text in texts.items():
        if isinstance(text, str) and text.strip():
            run_hooks(TEXT_SCREEN_HOOK, text=text, field=field, user=user)


@transaction.atomic
def group_create(*, owner: User, name: str, category: str = "", join_mode: str = JoinMode.APPROVAL,
                 join_question: str = "", announcement: str = "", rules: str = "", is_public: bool = True,
                 tier: str = "", acknowledge_duties: bool, origin: Origin) -> Group | GroupApplication:
    """Create a group of ``tier`` (default: the smallest) with a fresh public code; the creator becomes its owner.

    Checks, in order: duties acknowledged (G9a); name; ``group.create.check`` hooks (real name, agreements,
    blacklist); category and join mode allowed for the tier; the owner's caps by credit grade (G8a, under a lock on
    the owner's row); the owner's qualification for the tier (G8c: ``owner_verification_level``,
    ``credit_insufficient``). A tier or category that
    needs platform review returns a pending ``GroupApplication`` instead of a group.
    Side effects: owner membership; duty acknowledgement; audit event + network log ``group.create``; tier record.
    """
    if not acknowledge_duties:
        raise ApplicationError("duties_not_acknowledged")
    name = _clean_name(name)
    if join_mode not in JoinMode.values:
        raise ApplicationError("bad_request")
    # Who may create at all (real name, agreements, blacklist) comes before what this group needs.
    account_create_check(user=owner)
    # The apps above add theirs: moderation's blacklist, revoked creation right and emergency switch (G11, G5a).
    run_hooks("group.create.check", user=owner, name=name, category=category)
    _screen_texts(user=owner, texts={"group_name": name, "announcement": announcement, "rules": rules,
                                     "join_question": join_question})
    tier_policy = tiers.tier_get(slug=tier)
    category_row = tiers.category_check(slug=category)
    tiers.join_mode_check(tier=tier_policy, join_mode=join_mode)
    grade = tiers.user_create_caps_check(user=owner)
    tiers.owner_qualify(user=owner, tier=tier_policy, grade=grade)
    fields = {"name": name, "category": category, "join_mode": join_mode, "join_question": join_question[:200],
              "announcement": announcement, "rules": rules, "is_public": is_public}
    if tiers.needs_review(tier=tier_policy, category=category_row, owner=owner):
        application = GroupApplication.objects.create(applicant=owner, tier=tier_policy, data=fields)
        record("group.application", actor_id=owner.pk, origin=origin,
               data={"application": application.pk, "tier": tier_policy.slug, "name": name})
        return application
    return _group_insert(owner=owner, tier=tier_policy, fields=fields, origin=origin)


def _group_insert(*, owner: User, tier: TierPolicy, fields: dict, origin: Origin) -> Group:
    group = Group.objects.create(code=group_code_issue(), owner=owner, member_count=1, tier=tier,
                                 member_cap=tier.max_members, **fields)
    Membership.objects.create(group=group, user=owner, role=Role.OWNER, rules_accepted_at=timezone.now())
    OwnerDutyAcknowledgement.objects.create(group=group, user=owner, occasion="create")
    group_event(group=group, actor=owner, action=AuditAction.CREATE, origin=origin,
                data={"name": group.name, "category": group.category, "join_mode": group.join_mode,
                      "tier": tier.slug})
    TierChange.objects.create(group=group, from_tier=None, to_tier=tier, reason="create")
    announce_membership(group=group, user_id=owner.pk, role=Role.OWNER)
    return group


def group_open_reviewed(*, application: GroupApplication, origin: Origin) -> Group:
    """Open the group of an approved application (the reviewer's decision is the last check)."""
    return _group_insert(owner=application.applicant, tier=application.tier, fields=dict(application.data),
                         origin=origin)


@transaction.atomic
def group_update(*, actor: User, group: Group, origin: Origin, name=_UNSET, announcement=_UNSET, rules=_UNSET,
                 category=_UNSET, join_mode=_UNSET, join_question=_UNSET, is_public=_UNSET) -> Group:
    """Change name, announcement, rules or join settings (owner or admin).

    Side effects: audit event + network log ``group.update`` (rename/announce/rules) or ``group.settings``.
    """
    require_manager(group=group, actor=actor)
    group = lock_group(group)
    changed: dict[str, str] = {}
    if name is not _UNSET:
        changed["name"] = group.name = _clean_name(name)
    if announcement is not _UNSET:
        changed["announcement"] = group.announcement = str(announcement)[:4000]
    if rules is not _UNSET:
        changed["rules"] = group.rules = str(rules)[:8000]
        send_gate_bump(group_ids=[group.pk])  # new rules: members accept them before their next message
    if category is not _UNSET:
        tiers.category_check(slug=str(category))
        changed["category"] = group.category = str(category)[:40]
    settings_changed: dict[str, object] = {}
    if join_mode is not _UNSET:
        if join_mode not in JoinMode.values:
            raise ApplicationError("bad_request")
        tiers.join_mode_check(tier=group.tier, join_mode=join_mode)
        settings_changed["join_mode"] = group.join_mode = join_mode
    if join_question is not _UNSET:
        settings_changed["join_question"] = group.join_question = str(join_question)[:200]
    if is_public is not _UNSET:
        settings_changed["is_public"] = group.is_public = bool(is_public)
    if not changed and not settings_changed:
        return group
    tiers.group_info_check(group=group, members=group.member_count)
    _screen_texts(user=actor, texts={"group_name" if k == "name" else k: v for k, v in
                                     {**changed, **settings_changed}.items() if k != "category"})
    if changed:
        run_hooks("group.text.check", user=actor, group=group, fields=changed)
    group.save(update_fields=[*changed, *settings_changed])
    if changed:
        group_event(group=group, actor=actor, action=AuditAction.UPDATE, origin=origin, data=changed)
    if settings_changed:
        group_event(group=group, actor=actor, action=AuditAction.SETTINGS, origin=origin, data=settings_changed)
    announce_group(group)
    return group


@transaction.atomic
def member_set_role(*, actor: User, group: Group, target: User, role: str, origin: Origin,
                    acknowledge_duties: bool = False) -> Membership:
    """Appoint (``admin``) or revoke (``member``) an admin. Owner only; appointing needs ``acknowledge_duties``
    (the owner confirms the new admin was told an admin's duties, G9a).

    Side effects: audit event + network log ``group.role``; live ``membership`` frame to the target.
    """
    require_owner(group=group, actor=actor)
    if role not in (Role.ADMIN, Role.MEMBER):
        raise ApplicationError("bad_request")
    if role == Role.ADMIN and not acknowledge_duties:
        raise ApplicationError("duties_not_acknowledged")  # G9a: whoever manages is responsible
    if target.pk == actor.pk:
        raise ApplicationError("cannot_act_on_self")
    if role == Role.ADMIN:
        account_admin_check(user=target)
        run_hooks("group.admin.check", user=target, group=group)  # moderation: suspended admin rights (G11b)
    membership = lock_membership(group=group, user=target)
    if membership.role == role:
        return membership
    before = membership.role
    send_gate_bump(group_ids=[group.pk])  # a role decides who may post in an all-muted group
    membership.role = role
    membership.save(update_fields=["role"])
    if role == Role.ADMIN:
        # The owner gave the acknowledgement (that the new admin was told an admin's duties): it is the owner's row;
        # the new admin is the target of the ROLE audit event written below.
        OwnerDutyAcknowledgement.objects.create(group=group, user=actor, occasion="admin")
    group_event(group=group, actor=actor, action=AuditAction.ROLE, origin=origin, target=target,
                data={"from": before, "to": role})
    announce_membership(group=group, user_id=target.pk, role=role)
    return membership


def _new_owner_check(*, user: User, group: Group) -> None:
    """The checks of creating a group of ``group``'s tier (G8c, G7b, G8a), for whoever is to own it: may create at
    all (real name, agreements, a grade that may own groups; the apps above add blacklist and revoked creation right
    through ``group.create.check``), the tier's verification level and grade, and the cap of groups owned."""
    user = User.objects.get(pk=user.pk)  # fresh level and score: an offer may wait days for its acceptance
    account_create_check(user=user)
    # ``occasion`` lets a hook that concerns new groups only tell a transfer apart (today the emergency switch that
    # stops group creation also stops transfers: the conservative reading while an emergency lasts).
    run_hooks("group.create.check", user=user, name=group.name, category=group.category, occasion="transfer")
    grade = grade_permissions_for(user)
    if group.tier is not None:
        tiers.owner_qualify(user=user, tier=group.tier, grade=grade)
    tiers.user_owned_cap_check(user=user, grade=grade)


def _old_owner_role(*, user: User, group: Group) -> str:
    """The old owner stays on as admin when an admin may be them (grade, suspensions); otherwise a plain member: the
    transfer is not refused for it, since refusing would tie the group to an owner who wants to leave."""
    try:
        account_admin_check(user=user)
        run_hooks("group.admin.check", user=user, group=group)
    except ApplicationError:
        return Role.MEMBER
    return Role.ADMIN


@transaction.atomic
def group_transfer_offer(*, actor: User, group: Group, new_owner: User, origin: Origin) -> Group:
    """Offer ownership to another member; it takes effect when they acknowledge the owner's duties.

    The candidate must already qualify as owner of the group's tier (checked again on acceptance), so the owner
    learns at once why an offer cannot work."""
    require_owner(group=group, actor=actor)
    if new_owner.pk == actor.pk:
        raise ApplicationError("cannot_act_on_self")
    group = lock_group(group)
    lock_membership(group=group, user=new_owner)
    _new_owner_check(user=new_owner, group=group)
    group.pending_owner = new_owner
    group.save(update_fields=["pending_owner"])
    group_event(group=group, actor=actor, action=AuditAction.TRANSFER, origin=origin, target=new_owner,
                data={"stage": "offered"})
    announce_membership(group=group, user_id=new_owner.pk, role=None, transfer_offered=True)
    return group


@transaction.atomic
def group_transfer_accept(*, user: User, group: Group, acknowledge_duties: bool, origin: Origin) -> Group:
    """Take over a group offered to you. Refused with ``duties_not_acknowledged`` unless acknowledged (G9a), and
    with the same codes as creating a group of its tier unless you qualify to own it (G8c: verification level,
    credit grade, groups-owned cap, the create checks of the apps above).

    Side effects: roles swap (the old owner becomes admin if an admin may be them, else a plain member);
    acknowledgement row; audit + network log ``group.transfer``.
    """
    group = lock_group(group)
    if group.pending_owner_id != user.pk:
        raise ApplicationError("no_pending_transfer")
    if not acknowledge_duties:
        raise ApplicationError("duties_not_acknowledged")
    old_owner = group.owner
    new_membership = lock_membership(group=group, user=user)
    _new_owner_check(user=user, group=group)
    old_role = _old_owner_role(user=old_owner, group=group)
    Membership.objects.filter(group=group, user=old_owner).update(role=old_role)
    new_membership.role = Role.OWNER
    new_membership.save(update_fields=["role"])
    group.owner = user
    group.pending_owner = None
    group.save(update_fields=["owner", "pending_owner"])
    OwnerDutyAcknowledgement.objects.create(group=group, user=user, occasion="transfer")
    group_event(group=group, actor=user, action=AuditAction.TRANSFER, origin=origin, target=old_owner,
                data={"stage": "accepted", "from": old_owner.pk, "to": user.pk, "old_owner_role": old_role})
    announce_membership(group=group, user_id=user.pk, role=Role.OWNER)
    announce_membership(group=group, user_id=old_owner.pk, role=old_role)
    return group


@transaction.atomic
def group_mute_all(*, actor: User, group: Group, muted: bool, origin: Origin) -> Group:
    """Mute or unmute the whole group: only the owner and admins may then post."""
    require_manager(group=group, actor=actor)
    group = lock_group(group)
    if group.all_muted == muted:
        return group
    group.all_muted = muted
    send_gate_bump(group_ids=[group.pk])
    group.save(update_fields=["all_muted"])
    group_event(group=group, actor=actor, action=AuditAction.MUTE_ALL if muted else AuditAction.UNMUTE_ALL,
                origin=origin)
    broadcast_on_commit([group_channel_group(group.code)], {
        "type": "group.status", "group": group.code, "status": group.status, "all_muted": muted,
        "until": None, "reason": "",
    })
    announce_group(group)
    return group


@transaction.atomic
def group_close(*, actor: User | None, group: Group, reason: str, origin: Origin, by_platform: bool = False) -> Group:
    """Close a group for good. Its code stays reserved forever.

    ``by_platform=False`` (the public API): only the owner. ``by_platform=True``: a platform closure (G11a), for the
    moderation app's measure service, which has checked the actor's authority; it needs a reason
    (``close_reason_required``). Being staff grants nothing here.
    Side effects: audit + network log ``group.close`` with ``{"reason", "by_platform"}`` and the actor; live
    ``group_status`` to every member.
    """
    reason = (reason or "").strip()
    if by_platform:
        if not reason:
            raise ApplicationError("close_reason_required")
    elif actor is None:
        raise ApplicationError("permission_denied")
    else:
        require_owner(group=group, actor=actor)
    group = lock_group(group)
    if group.status == GroupStatus.CLOSED:
        return group
    group.status = GroupStatus.CLOSED
    send_gate_bump(group_ids=[group.pk])
    group.status_reason = reason[:200]
    group.closed_at = timezone.now()
    group.save(update_fields=["status", "status_reason", "closed_at"])
    group_event(group=group, actor=actor, action=AuditAction.CLOSE, origin=origin,
                data={"reason": reason, "by_platform": by_platform})
    broadcast_on_commit([group_channel_group(group.code)], {
        "type": "group.status", "group": group.code, "status": group.status, "all_muted": group.all_muted,
        "until": None, "reason": reason,
    })
    return group
