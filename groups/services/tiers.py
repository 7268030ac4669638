"""Tiered, classified management (G7a, G8a, G8c): qualification by tier, per-user caps by credit grade, platform
review of reviewed tiers, and the activity sweep.

Invariants: a user's caps are checked while holding a lock on the user's row (so concurrent creates or joins by one
user never exceed them); a group's ``member_cap`` always equals its tier's ``max_members``; every tier change is a
``TierChange`` row with its reason; every change of tiers, categories or caps makes a new unfiled filing version
(compliance's, through the kernel's ``filing.changed`` hook).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.minors import is_minor
from accounts.models import User
from accounts.selectors import GradePermissions, grade_permissions_for, grade_table
from groupchat.core.broadcast import notify_user_on_commit
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.origin import SYSTEM, Origin

from ..models import (
    OWNER_L2_ABOVE_MEMBERS,
    ApplicationStatus,
    Group,
    GroupActivityDay,
    GroupApplication,
    GroupCategory,
    GroupStatus,
    Membership,
    TierChange,
    TierPolicy,
)
from ..selectors_tiers import activity_bands
from ._common import lock_group, require_owner

GRADE_ORDER = "ABCD"  # A best


# --- look-ups ------------------------------------------------------------------------------------------------------


def tier_get(*, slug: str | None) -> TierPolicy:
    """The tier with ``slug``, or the smallest tier when ``slug`` is empty."""
    qs = TierPolicy.objects.order_by("rank")
    tier = qs.filter(slug=slug).first() if slug else qs.first()
    if tier is None:
        raise ApplicationError("tier_not_found")
    return tier


def category_check(*, slug: str) -> GroupCategory | None:
    """The active category ``slug``; empty is allowed (until the size threshold); anything else is refused."""
    if not slug:
        return None
    category = GroupCategory.objects.filter(slug=slug, active=True).first()
    if category is None:
        raise ApplicationError("category_invalid")
    return category


# --- qualification -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Missing:
    code: str
    need: Any
    have: Any

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "need": self.need, "have": self.have}


def tier_missing(*, user: User, tier: TierPolicy, grade: GradePermissions | None = None,
                 ranks: dict[str, int] | None = None) -> list[Missing]:
    """What ``user`` lacks to own a group of ``tier``: verification level, credit grade, the grade's tier ceiling.

    ``grade`` and ``ranks`` (tier slug -> rank) are read here unless a caller checking every tier passes them once."""
    grade = grade or grade_permissions_for(user)
    missing: list[Missing] = []
    if tier.max_members > OWNER_L2_ABOVE_MEMBERS and is_minor(user):
        missing.append(Missing("owner_minor", OWNER_L2_ABOVE_MEMBERS, "minor"))  # REGULATION §5.13
    if user.verification_level < tier.owner_verification_level:
        missing.append(Missing("owner_verification_level", tier.owner_verification_level, user.verification_level))
    if ranks is None:
        ranks = dict(TierPolicy.objects.values_list("slug", "rank"))
    if ranks.get(grade.max_owned_tier, 0) < tier.rank or GRADE_ORDER.index(grade.grade) > GRADE_ORDER.index(
            tier.owner_min_grade):
        missing.append(Missing("credit_insufficient", _grade_needed(tier, ranks), grade.grade))
    return missing


def _grade_needed(tier: TierPolicy, ranks: dict[str, int]) -> str:
    """The lowest grade that both meets the tier's minimum and may own a group of its size."""
    allowed = [g.grade for g in grade_table() if ranks.get(g.max_owned_tier, 0) >= tier.rank]
    allowed = [g for g in allowed if GRADE_ORDER.index(g) <= GRADE_ORDER.index(tier.owner_min_grade)]
    return max(allowed, key=GRADE_ORDER.index) if allowed else "A"


def needs_review(*, tier: TierPolicy, category: GroupCategory | None, owner: User | None = None) -> bool:
    """The platform reviews the group first: the tier asks for it (unless the owner is verified at the tier's
    ``review_exempt_level``: a large group of an L3 organisation opens at once, of an L2 person after review), or
    the category does from this tier's rank."""
    exempt = bool(owner is not None and tier.review_exempt_level
                  and owner.verification_level >= tier.review_exempt_level)
    return (tier.requires_review and not exempt) or bool(
        category and category.min_review_rank and tier.rank >= category.min_review_rank)


def _refuse_missing(missing: list[Missing]) -> None:
    if not missing:
        return
    first = missing[0]
    extra = {"missing": [m.as_dict() for m in missing]}
    if first.code == "owner_verification_level":
        raise ApplicationError(first.code, params={"need": first.need, "have": first.have}, extra=extra)
    raise ApplicationError(first.code, extra=extra)


def owner_qualify(*, user: User, tier: TierPolicy, grade: GradePermissions | None = None) -> None:
    """Refuse with the first thing missing (``owner_verification_level`` / ``credit_insufficient``); all in extra."""
    _refuse_missing(tier_missing(user=user, tier=tier, grade=grade))


# --- per-user caps (G8a) -------------------------------------------------------------------------------------------


def _lock_user(user: User) -> None:
    # Serialises this user's creates and joins: two requests at once cannot both pass a count that only one may.
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def user_create_caps_check(*, user: User, grade: GradePermissions | None = None) -> GradePermissions:
    """Owned and created-today caps of the user's grade; call inside the create transaction."""
    grade = grade or grade_permissions_for(user)
    # A grade that may create no group at all is refused earlier, by accounts' ``group.create.check`` hook.
    _lock_user(user)
    owned = Group.objects.filter(owner=user).exclude(status=GroupStatus.CLOSED).count()
    if owned >= grade.groups_owned_max:
        raise ApplicationError("groups_owned_limit", params={"limit": grade.groups_owned_max})
    since = timezone.now() - timedelta(days=1)
    created = Group.objects.filter(owner=user, created_at__gte=since).count()
    created += GroupApplication.objects.filter(applicant=user, is_upgrade=False, created_at__gte=since,
                                               status=ApplicationStatus.PENDING).count()
    if created >= grade.groups_created_per_day:
        raise ApplicationError("groups_created_limit", params={"limit": grade.groups_created_per_day})
    return grade


def user_owned_cap_check(*, user: User, grade: GradePermissions | None = None) -> GradePermissions:
    """The owned-groups cap of the user's grade alone (taking over a group creates none today); call inside the
    transaction that makes ``user`` an owner."""
    grade = grade or grade_permissions_for(user)
    _lock_user(user)
    owned = Group.objects.filter(owner=user).exclude(status=GroupStatus.CLOSED).count()
    if owned >= grade.groups_owned_max:
        raise ApplicationError("groups_owned_limit", params={"limit": grade.groups_owned_max})
    return grade


def user_join_cap_check(*, user: User) -> None:
    """The joined-groups cap of the user's grade; call inside the join transaction."""
    grade = grade_permissions_for(user)
    _lock_user(user)
    if Membership.objects.filter(user=user).count() >= grade.groups_joined_max:
        raise ApplicationError("groups_joined_limit", params={"limit": grade.groups_joined_max})


# --- group policy checks used by the membership services ---------------------------------------------------------


def join_policy_check(*, group: Group, via: str) -> None:
    """Size-dependent joining rules of the group's tier (REGULATION §5.1 and §5.9)."""
    tier = group.tier
    if tier is None:
        return
    if via == "link" and group.member_count >= tier.link_join_max_members:
        raise ApplicationError("link_join_disabled", params={"limit": tier.link_join_max_members})
    if via == "open" and group.member_count >= tier.approval_from_members:
        raise ApplicationError("join_mode_not_allowed")
    group_info_check(group=group, members=group.member_count + 1)


def group_info_check(*, group: Group, members: int) -> None:
    """Category and rules are mandatory for a group of ``members`` from its tier's ``info_required_from_members``
    (REGULATION §5.1); a threshold of 0 means always. Checked when a join would reach the threshold and when an edit
    would leave a group at or over it without them."""
    tier = group.tier
    if tier is not None and members >= tier.info_required_from_members and not (group.category and group.rules.strip()):
        raise ApplicationError("group_info_required", params={"threshold": tier.info_required_from_members})


def join_mode_check(*, tier: TierPolicy | None, join_mode: str) -> None:
    if tier is not None and tier.join_modes and join_mode not in tier.join_modes:
        raise ApplicationError("join_mode_not_allowed")


# --- tier changes ------------------------------------------------------------------------------------------------


def group_set_tier(*, group: Group, tier: TierPolicy, reason: str, actor_id: int | None, origin: Origin,
                   data: dict[str, Any] | None = None) -> TierChange | None:
    """Move ``group`` (locked by the caller) to ``tier``; record the change and tell the owner."""
    if group.tier_id == tier.pk:
        return None
    change = TierChange.objects.create(group=group, from_tier=group.tier, to_tier=tier, reason=reason,
                                      data=data or {})
    group.tier = tier
    group.member_cap = tier.max_members
    group.save(update_fields=["tier", "member_cap"])
    record("group.tier", actor_id=actor_id, origin=origin, group_code=group.code,
           data={"to": tier.slug, "from": change.from_tier.slug if change.from_tier else None, "reason": reason})
    notify_user_on_commit(group.owner_id, f"「{group.name}」({group.code}) → {tier.name_zh} / {tier.name_en}: {reason}")
    return change


@transaction.atomic
def group_tier_request(*, actor: User, group: Group, tier_slug: str, origin: Origin) -> TierChange | GroupApplication:
    """The owner asks to grow the group into a higher tier: qualification first, then review or at once (G8c)."""
    require_owner(group=group, actor=actor)
    tier = tier_get(slug=tier_slug)
    group = lock_group(group)
    if group.tier is not None and tier.rank <= group.tier.rank:
        raise ApplicationError("tier_not_higher")
    owner_qualify(user=actor, tier=tier)
    category = GroupCategory.objects.filter(slug=group.category).first()
    if needs_review(tier=tier, category=category, owner=actor):
        if GroupApplication.objects.filter(group=group, is_upgrade=True, status=ApplicationStatus.PENDING).exists():
            raise ApplicationError("application_pending")
        application = GroupApplication.objects.create(applicant=actor, tier=tier, group=group, is_upgrade=True)
        record("group.tier_application", actor_id=actor.pk, origin=origin, group_code=group.code,
               data={"application": application.pk, "tier": tier.slug})
        return application
    return group_set_tier(group=group, tier=tier, reason="upgrade", actor_id=actor.pk, origin=origin)


@transaction.atomic
def application_decide(*, actor: User, application_id: int, approve: bool, reason: str = "",
                       origin: Origin = SYSTEM) -> GroupApplication:
    """A platform reviewer approves (the group opens, or is upgraded) or refuses; the applicant hears it live."""
    from .groups import group_open_reviewed

    application = GroupApplication.objects.select_for_update().select_related("tier", "applicant").get(
        pk=application_id)
    if application.status != ApplicationStatus.PENDING:
        raise ApplicationError("application_not_pending")
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.reason = reason[:400]
    if approve:
        application.status = ApplicationStatus.APPROVED
        if application.is_upgrade:
            group = lock_group(Group(pk=application.group_id))
            # Review adds to the owner qualification, never replaces it: an owner who lacks it is refused here too.
            owner_qualify(user=User.objects.get(pk=group.owner_id), tier=application.tier)
            group_set_tier(group=group, tier=application.tier, reason="review", actor_id=actor.pk, origin=origin,
                           data={"application": application.pk})
        else:
            application.group = group_open_reviewed(application=application, origin=origin)
    else:
        application.status = ApplicationStatus.REFUSED
    application.save(update_fields=["status", "decided_by", "decided_at", "reason", "group"])
    record("group.application_decided", actor_id=actor.pk, origin=origin, target_id=application.applicant_id,
           group_code=application.group.code if application.group else "",
           data={"application": application.pk, "approved": approve, "reason": reason})
    name = application.data.get("name") or (application.group.name if application.group else "")
    verdict = ("已通过 / approved" if approve else "未通过 / refused") + (f": {reason}" if reason else "")
    notify_user_on_commit(application.applicant_id, f"「{name}」{application.tier.name_zh} {verdict}",
            level="info" if approve else "warning")
    return application


# --- the sweep ---------------------------------------------------------------------------------------------------

# One statement for every group: today's last_seq and size. Re-running on the same day writes only what changed.
_SNAPSHOT_SQL = f"""
    INSERT INTO {GroupActivityDay._meta.db_table} AS a (group_id, day, last_seq, member_count)
    SELECT id, %s, last_seq, member_count FROM {Group._meta.db_table} WHERE status <> 'closed'
    ON CONFLICT (group_id, day) DO UPDATE SET last_seq = EXCLUDED.last_seq, member_count = EXCLUDED.member_count
    WHERE a.last_seq <> EXCLUDED.last_seq OR a.member_count <> EXCLUDED.member_count
"""

# Average messages a day over the window: seq growth since the newest snapshot at or before the window's start.
# Rows whose average did not change are not rewritten (a rewrite costs a new tuple and its index entries).
_WINDOW_AVG = f"""(last_seq - COALESCE((SELECT a.last_seq FROM {GroupActivityDay._meta.db_table} a
    WHERE a.group_id = {Group._meta.db_table}.id AND a.day <= %s ORDER BY a.day DESC LIMIT 1), 0)) / %s"""
_ACTIVITY_SQL = f"""
    UPDATE {Group._meta.db_table} SET activity_avg = {_WINDOW_AVG}
    WHERE status <> 'closed' AND activity_avg <> {_WINDOW_AVG}
"""

_PURGE_SQL = f"DELETE FROM {GroupActivityDay._meta.db_table} WHERE day < %s"

_OUTGROWN_SQL = f"""
    SELECT g.id, band.id FROM {Group._meta.db_table} g
    JOIN {TierPolicy._meta.db_table} band ON band.slug = g.size_band
    LEFT JOIN {TierPolicy._meta.db_table} current ON current.id = g.tier_id
    WHERE g.status <> 'closed' AND (current.id IS NULL OR band.rank > current.rank)
"""


def _size_review_request(*, group: Group, tier: TierPolicy, missing: list[Missing]) -> GroupApplication | None:
    """A group the sweep may not move into ``tier`` (its owner lacks the qualification, or the tier is reviewed):
    a pending upgrade application for the platform, once. The group stays in its tier, over its cap, taking no new
    members, until a reviewer decides or a qualified owner takes over. Side effects: network log
    ``group.tier_review``; a notice to the owner after commit."""
    pending = GroupApplication.objects.filter(group=group, is_upgrade=True, status=ApplicationStatus.PENDING)
    # A refused one is asked again after a week at the earliest (the owner may have verified meanwhile).
    recent = GroupApplication.objects.filter(group=group, is_upgrade=True, tier=tier,
                                             created_at__gte=timezone.now() - timedelta(days=7))
    if pending.exists() or recent.exists():
        return None
    application = GroupApplication.objects.create(
        applicant=group.owner, tier=tier, group=group, is_upgrade=True,
        data={"reason": "size", "member_count": group.member_count, "missing": [m.as_dict() for m in missing]})
    record("group.tier_review", actor_id=None, origin=SYSTEM, group_code=group.code, target_id=group.owner_id,
           data={"application": application.pk, "tier": tier.slug, "member_count": group.member_count,
                 "missing": [m.code for m in missing]})
    notify_user_on_commit(group.owner_id, (
        f"「{group.name}」({group.code}) 已有 {group.member_count} 人，超过{group.tier.name_zh if group.tier else ''}上限，"
        f"已提交平台审核；在此之前不能加入新成员。 / The group has {group.member_count} members, more than its tier "
        f"allows; it waits for platform review and takes no new members until then."), level="warning")
    return application


def tiers_sweep_run(*, today=None, window_days: int = 30) -> dict[str, int]:
    """Daily (G7a): snapshot every group's seq, compute the 30-day average messages/day, set activity and size
    bands, and re-tier groups whose size passed their tier. Set-based SQL, so cheap at 100,000 groups; idempotent.

    A group is never moved into a tier whose owner qualification its owner does not meet, nor into a reviewed tier
    without review: such a group gets a pending upgrade application for the platform instead (``to_review``)."""
    today = today or timezone.localdate()
    start = today - timedelta(days=window_days)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_SNAPSHOT_SQL, [today])
        cursor.execute(_ACTIVITY_SQL, [start, float(window_days), start, float(window_days)])
        # Keep one snapshot older than the window (the baseline of the next days' averages), nothing before it.
        cursor.execute(_PURGE_SQL, [start - timedelta(days=7)])
    tiers = list(TierPolicy.objects.order_by("rank"))
    bands = {"quiet": 0, "active": 0, "busy": 0}
    quiet, busy = activity_bands()
    for name, low, high in (("quiet", None, quiet), ("active", quiet, busy), ("busy", busy, None)):
        qs = Group.objects.exclude(status=GroupStatus.CLOSED)
        if low is not None:
            qs = qs.filter(activity_avg__gte=low)
        if high is not None:
            qs = qs.filter(activity_avg__lt=high)
        bands[name] = qs.exclude(activity_band=name).update(activity_band=name)
    lower = 0
    for tier in tiers:
        Group.objects.exclude(status=GroupStatus.CLOSED).filter(
            member_count__gt=lower, member_count__lte=tier.max_members).exclude(size_band=tier.slug).update(
            size_band=tier.slug)
        lower = tier.max_members
    retiered = to_review = 0
    # Re-tier only groups whose size band outranks their tier (a policy change lowered a cap, or a group predates
    # tiers): found in SQL, then each is locked, changed and recorded one by one.
    with connection.cursor() as cursor:
        cursor.execute(_OUTGROWN_SQL)
        outgrown = cursor.fetchall()
    by_id = {t.pk: t for t in tiers}
    ranks = {t.slug: t.rank for t in tiers}
    for pk, target_id in outgrown:
        with transaction.atomic():
            group = lock_group(Group(pk=pk))
            target = by_id[target_id]
            missing = tier_missing(user=group.owner, tier=target, ranks=ranks)
            category = GroupCategory.objects.filter(slug=group.category).first()
            if missing or needs_review(tier=target, category=category, owner=group.owner):
                if _size_review_request(group=group, tier=target, missing=missing):
                    to_review += 1
                continue
            if group_set_tier(group=group, tier=target, reason="size", actor_id=None, origin=SYSTEM,
                              data={"member_count": group.member_count}):
                retiered += 1
    return {"retiered": retiered, "to_review": to_review, **{f"band_{k}": v for k, v in bands.items()}}


# --- the grade table (G7a) -------------------------------------------------------------------------------------------


def grade_table_check(*, table: dict[str, dict[str, Any]], order: list[str], **_: Any) -> None:
    """Hook ``grade_table.check`` (accounts validates a grade-table edit): every ``max_owned_tier`` is a tier (or
    empty), and a worse grade never owns a bigger tier than a better one."""
    ranks = dict(TierPolicy.objects.values_list("slug", "rank"))
    for values in table.values():
        slug = values["max_owned_tier"]
        if slug and slug not in ranks:
            raise ApplicationError("grade_table_tier_invalid", params={"value": slug})
    for better, worse in itertools.pairwise(order):
        if ranks.get(table[worse]["max_owned_tier"], 0) > ranks.get(table[better]["max_owned_tier"], 0):
            raise ApplicationError("grade_table_tier_invalid", params={"value": table[worse]["max_owned_tier"]})
