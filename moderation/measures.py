"""Measures against groups and users (G11a, G11b) and blacklist entries (G11c): issue, lift, shorten, expire.

Invariants:
- A ``Measure`` row is written once and never changed; lifting or shortening is a new row with ``amends`` set.
- A measure with a lasting effect has exactly one ``Restriction`` row while in force; it is written and deleted in the
  same transaction as the measure row that starts or ends it (``restrictions_expire`` deletes it after ``until``).
- Every write calls groups' ``send_gate_bump`` inside its transaction, so no message checked against the old state is
  stored after the measure commits; live frames (``group_status``, ``membership``, ``notice``, socket close) go out
  after commit.
- The credit ledger moves exactly once per credit measure and once more if it is lifted (never twice).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone

from accounts.credit import credit_change
from accounts.models import CreditSource, IdentitySubmission, SubmissionStatus, User
from groupchat.core.broadcast import broadcast_on_commit, user_channel_group
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.language import pick
from groupchat.core.origin import Origin
from groupchat.law import article_text, citation
from groups.models import Group, Membership, Role
from groups.services import group_close
from groups.services import platform as group_platform
from groups.services.messages import send_gate_bump

from . import errors  # noqa: F401  (registers the codes raised here)
from .categories import BY_CODE
from .models_measures import (
    GROUP_KINDS,
    LASTING_KINDS,
    USER_KINDS,
    Change,
    Measure,
    MeasureKind,
    Restriction,
    TargetType,
)

CLOSE_FORCED = 4403  # the WebSocket close code a forced-offline or blacklisted user's sockets get

# The default legal basis of each kind: Art 11 ¶1 for groups, ¶2 for users, ¶3 for the blacklist.
DEFAULT_BASIS: dict[str, tuple[int, int]] = {
    MeasureKind.WARNING: (11, 1), MeasureKind.SUSPEND_POSTING: (11, 1), MeasureKind.CLOSE: (11, 1),
    MeasureKind.STARS_DOWN: (11, 1), MeasureKind.CREDIT_DOWN: (11, 2), MeasureKind.SUSPEND_ADMIN: (11, 2),
    MeasureKind.REVOKE_CREATE: (11, 2), MeasureKind.MUTE_PLATFORM: (11, 2), MeasureKind.FORCE_OFFLINE: (11, 2),
    MeasureKind.BLACKLIST: (11, 3),
}
# Bases a moderator may pick (article, paragraph): the duties of Art 10-12 and Art 9's owner/member duties.
BASIS_CHOICES: list[tuple[int, int | None]] = [(11, 1), (11, 2), (11, 3), (10, None), (9, 1), (9, 2), (9, 3), (12, None)]
BLACKLIST_DAYS = (7, 30, 180)  # or permanent (REGULATION §5.11)
# Kinds that need an end time (the others: optional, empty = permanent; or instant).
UNTIL_REQUIRED = {MeasureKind.WARNING, MeasureKind.SUSPEND_POSTING, MeasureKind.SUSPEND_ADMIN,
                  MeasureKind.MUTE_PLATFORM}
DEFAULT_CREDIT_POINTS = 10
PERMANENT = datetime(9999, 1, 1, tzinfo=UTC)  # the group column's value for a permanent blacklist entry

KIND_TEXT: dict[str, tuple[str, str]] = {  # (zh, en) for notices
    MeasureKind.WARNING: ("警告并限期整改", "a warning with a rectification deadline"),
    MeasureKind.SUSPEND_POSTING: ("暂停群内发言", "posting suspended in the group"),
    MeasureKind.CLOSE: ("关闭群组", "closure of the group"),
    MeasureKind.STARS_DOWN: ("降低群信用星级", "the group's credit stars lowered"),
    MeasureKind.CREDIT_DOWN: ("降低信用分", "your credit lowered"),
    MeasureKind.SUSPEND_ADMIN: ("暂停群主/管理员权限", "your owner/admin powers suspended"),
    MeasureKind.REVOKE_CREATE: ("取消建群资格", "your right to create groups revoked"),
    MeasureKind.MUTE_PLATFORM: ("全平台禁言", "a platform-wide mute"),
    MeasureKind.FORCE_OFFLINE: ("强制下线", "forced offline"),
    MeasureKind.BLACKLIST: ("列入黑名单", "the platform blacklist"),
}


# --- helpers ------------------------------------------------------------------------------------------------------
def evidence_digest(evidence: dict[str, Any]) -> str:
    """SHA-256 of the evidence snapshot in canonical JSON (sorted keys), so anyone can re-check it later."""
    return hashlib.sha256(orjson.dumps(evidence, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _send_gate_bump(*, user_ids: Iterable[int] = (), group_ids: Iterable[int] = ()) -> None:
    """groups' stale-check fix: after this commits no message of these users/groups is stored unchecked."""
    send_gate_bump(user_ids=list(user_ids), group_ids=list(group_ids))


def _fmt(at: datetime | None, language: str) -> str:
    if at is None:
        return pick(language, zh="永久", en="permanent")
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _notice_text(measure: Measure, language: str, *, lifted: bool = False) -> str:
    zh, en = KIND_TEXT[measure.kind]
    category = BY_CODE[measure.reason_code]
    if lifted:
        return pick(language, zh=f"平台已解除对你的处置：{zh}。", en=f"The platform lifted a measure: {en}.")
    until = _fmt(measure.ends_at, language) if measure.kind in LASTING_KINDS else ""
    return pick(
        language,
        zh=f"平台依据{measure.basis_citation}对你采取处置：{zh}（理由：{category.zh}）"
           + (f"，至 {until}" if until else "") + "。如有异议，可在15日内于“我的处置”中申诉。",
        en=f"The platform took a measure ({en}) on the basis of Article {measure.basis_article} of the regulation "
           f"(reason: {category.en})" + (f", until {until}" if until else "")
           + ". You may appeal within 15 days under My measures.",
    )


def _notify(users: Iterable[User], measure: Measure, *, lifted: bool = False, level: str = "warning") -> None:
    for user in users:
        broadcast_on_commit([user_channel_group(user.pk)], {
            "type": "user.notice", "level": level, "text": _notice_text(measure, user.language, lifted=lifted),
            "measure": measure.pk,
        })


def _close_sockets(user_id: int) -> None:
    broadcast_on_commit([user_channel_group(user_id)], {"type": "user.close", "code": CLOSE_FORCED})


def _managers(group: Group) -> list[User]:
    return [m.user for m in Membership.objects.filter(group=group, role__in=(Role.OWNER, Role.ADMIN))
            .select_related("user")]


def _identities_of(user: User) -> list[str]:
    # Pending ones too: an account whose verification is still in review is listed under the number it gave.
    return sorted(set(IdentitySubmission.objects.filter(
        user=user, status__in=[SubmissionStatus.APPROVED, SubmissionStatus.PENDING])
                      .exclude(id_hmac="").values_list("id_hmac", flat=True)))


def _record(kind: str, measure: Measure, origin: Origin | None) -> None:
    record(kind, actor_id=measure.operator_id, origin=origin,
           group_code=measure.target_group.code if measure.target_group_id else "",
           target_id=measure.target_user_id,
           data={"measure": measure.pk, "kind": measure.kind, "change": measure.change, "reason": measure.reason_code,
                 "until": measure.ends_at.isoformat() if measure.ends_at else None,
                 "amends": measure.amends_id})


def _validate(*, kind: str, target_group: Group | None, target_user: User | None, target_identity: str,
              reason_code: str, basis: tuple[int, int | None], until: datetime | None, now: datetime) -> None:
    targets = [t for t in (target_group, target_user, target_identity or None) if t is not None]
    if kind not in MeasureKind.values or len(targets) != 1:
        raise ApplicationError("measure_kind_invalid")
    if (target_group is not None and kind not in GROUP_KINDS) or (target_user is not None and kind not in USER_KINDS) \
            or (target_identity and kind != MeasureKind.BLACKLIST):
        raise ApplicationError("measure_kind_invalid")
    if reason_code not in BY_CODE:
        raise ApplicationError("measure_reason_invalid")
    article, paragraph = basis
    try:
        article_text(article, paragraph)
    except (KeyError, IndexError) as exc:
        raise ApplicationError("measure_basis_invalid") from exc
    if kind in UNTIL_REQUIRED and until is None:
        raise ApplicationError("measure_until_required")
    if until is not None and until <= now:
        raise ApplicationError("measure_until_required")


# --- issue --------------------------------------------------------------------------------------------------------
@transaction.atomic
def measure_issue(*, kind: str, operator: User | None, reason_code: str, target_group: Group | None = None,
                  target_user: User | None = None, target_identity: str = "", until: datetime | None = None,
                  basis: tuple[int, int | None] | None = None, reason: str = "",
                  evidence: dict[str, Any] | None = None, credit_points: int = DEFAULT_CREDIT_POINTS,
                  stars: int | None = None, include_identity: bool = True, report: bool = True, source: str = "",
                  origin: Origin | None = None) -> Measure:
    """Take a measure against one target (a group, a user, or for the blacklist also an identity's keyed hash).

    ``kind``: a ``MeasureKind``. ``reason_code``: a category code (moderation.categories). ``basis``: (article,
    paragraph or None) of the regulation, default by kind (Art 11 ¶1 groups, ¶2 users, ¶3 blacklist); its Chinese
    text is stored with the record. ``until``: the end (required for warning = rectification deadline, posting
    suspension, admin suspension and platform mute; optional for revoke_create and blacklist, empty = permanent).
    ``credit_points``: for credit_down, the points taken. ``stars``: for stars_down, the new (lower) stars.
    ``include_identity``: a user's blacklist entry also lists their verified identities, so a new account with the
    same ID number is refused at verification. ``source``: where it came from, e.g. ``complaint:12``.

    Side effects (one transaction): the Measure row (evidence SHA-256), the Restriction row of a lasting kind, the
    effect (groups' close / posting suspension / stars / blacklist flag / admin suspension; accounts' credit ledger),
    groups' ``send_gate_bump``, network log ``measure.issue``; after commit: ``group_status`` / ``membership`` /
    ``notice`` frames to the sockets concerned, and forced offline / blacklisted users' sockets are closed.
    Raises ApplicationError: ``measure_kind_invalid``, ``measure_reason_invalid``, ``measure_basis_invalid``,
    ``measure_until_required``, ``stars_not_lower``.
    """
    now = timezone.now()
    basis = basis or DEFAULT_BASIS.get(kind, (11, None))
    _validate(kind=kind, target_group=target_group, target_user=target_user, target_identity=target_identity,
              reason_code=reason_code, basis=basis, until=until, now=now)
    article, paragraph = basis
    evidence = evidence or {}
    data: dict[str, Any] = {}
    if kind == MeasureKind.CREDIT_DOWN:
        if credit_points <= 0:
            raise ApplicationError("bad_request")
        data["credit_points"] = int(credit_points)
    if kind == MeasureKind.STARS_DOWN:
        current = Group.objects.select_for_update().values_list("credit_stars", flat=True).get(pk=target_group.pk)
        if stars is None or not 1 <= stars < current:
            raise ApplicationError("stars_not_lower", params={"stars": current})
        data.update(stars_before=current, stars=stars)
    identities: list[str] = []
    if kind == MeasureKind.BLACKLIST and target_user is not None and include_identity:
        identities = _identities_of(target_user)
        data["identities"] = identities
    target_type = (TargetType.GROUP if target_group is not None else
                   TargetType.USER if target_user is not None else TargetType.IDENTITY)
    measure = Measure.objects.create(
        kind=kind, change=Change.ISSUE, target_type=target_type, target_group=target_group, target_user=target_user,
        target_identity=target_identity, reason_code=reason_code, reason=reason[:4000], basis_article=article,
        basis_paragraph=paragraph, basis_citation=citation(article, paragraph),
        basis_text=article_text(article, paragraph), evidence=evidence, evidence_sha256=evidence_digest(evidence),
        data=data, operator=operator, starts_at=now, ends_at=until if kind in LASTING_KINDS else None,
        report=report, source=source[:40], created_at=now)
    if kind in LASTING_KINDS:
        Restriction.objects.create(measure=measure, kind=kind, user=target_user, group=target_group,
                                   identity=target_identity, until=until)
        # The user's identities are listed too (one row each, same measure is referred to through its data).
        for id_hmac in identities:
            Restriction.objects.create(measure=Measure.objects.create(
                kind=kind, change=Change.ISSUE, amends=None, target_type=TargetType.IDENTITY, target_identity=id_hmac,
                reason_code=reason_code, reason=reason[:4000], basis_article=article, basis_paragraph=paragraph,
                basis_citation=measure.basis_citation, basis_text=measure.basis_text, evidence=evidence,
                evidence_sha256=measure.evidence_sha256, data={"with": measure.pk}, operator=operator, starts_at=now,
                ends_at=until, report=False, source=f"measure:{measure.pk}", created_at=now),
                kind=kind, identity=id_hmac, until=until)
    _apply(measure, origin=origin)
    _send_gate_bump(user_ids=[target_user.pk] if target_user else [],
                    group_ids=[target_group.pk] if target_group else [])
    _record("measure.issue", measure, origin)
    return measure


def _apply(measure: Measure, *, origin: Origin | None) -> None:
    """The effect of a newly issued measure, and who is told."""
    kind, group, user, reason = measure.kind, measure.target_group, measure.target_user, measure.reason_code
    operator = measure.operator
    if kind == MeasureKind.SUSPEND_POSTING:
        _sync(measure, operator=operator, reason=reason, origin=origin)
        _notify(_managers(group), measure)
    elif kind == MeasureKind.CLOSE:
        group_close(actor=operator, group=group, reason=f"{reason} {measure.basis_citation}", origin=origin,
                    by_platform=True)
        _notify(_managers(group), measure)
    elif kind == MeasureKind.WARNING:
        _notify(_managers(group), measure)  # owner and admins see it in the chat; members do not
    elif kind == MeasureKind.STARS_DOWN:
        _sync(measure, operator=operator, reason=reason, origin=origin)
        _notify(_managers(group), measure)
    elif kind == MeasureKind.BLACKLIST and group is not None:
        _sync(measure, operator=operator, reason=reason, origin=origin)
        _notify(_managers(group), measure)
    elif kind == MeasureKind.CREDIT_DOWN:
        credit_change(user=user, delta=-measure.data["credit_points"], reason_code=reason,
                      source=CreditSource.MEASURE, operator=operator, reason=measure.reason[:2000],
                      ref=f"measure:{measure.pk}", origin=origin)
        _notify([user], measure)
    elif kind == MeasureKind.SUSPEND_ADMIN:
        _sync(measure, operator=operator, reason=reason, origin=origin)
        _notify([user], measure)
    elif kind in (MeasureKind.REVOKE_CREATE, MeasureKind.MUTE_PLATFORM):
        _notify([user], measure)
    elif kind in (MeasureKind.FORCE_OFFLINE, MeasureKind.BLACKLIST) and user is not None:
        _notify([user], measure)
        _close_sockets(user.pk)


# --- lift, shorten ------------------------------------------------------------------------------------------------
def measure_in_force(measure: Measure) -> bool:
    """Whether lifting ``measure`` would change anything now."""
    if measure.change != Change.ISSUE:
        return False
    if measure.kind in LASTING_KINDS:
        restriction = Restriction.objects.filter(measure=measure).first()
        # An overdue warning stays in force (escalated) until a moderator lifts it as rectified.
        return restriction is not None and (restriction.active() or measure.kind == MeasureKind.WARNING)
    if measure.kind in (MeasureKind.CREDIT_DOWN, MeasureKind.STARS_DOWN):
        return not measure.amendments.filter(change=Change.LIFT).exists()
    return False  # closure and forced offline act once and cannot be undone by a lift


@transaction.atomic
def measure_lift(*, measure: Measure, operator: User | None, reason: str, until: datetime | None = None,
                 credit_source: str = CreditSource.MEASURE, source: str = "", origin: Origin | None = None
                 ) -> Measure:
    """Lift ``measure`` (``until`` empty) or shorten it to end at ``until`` (in the future, before its current end):
    a new Measure row (change lift / shorten, ``amends`` = measure); the original is never edited.

    Lifting undoes the effect: posting resumes, stars and admin powers are restored, the blacklist flag and
    restriction go, and a credit measure gives its points back with exactly one ledger entry (``credit_source``:
    ``appeal`` when an appeal was upheld). Closure and forced offline cannot be lifted (``measure_not_liftable``).
    Side effects: ``send_gate_bump``; network log ``measure.lift`` / ``measure.shorten``; live frames after commit.
    """
    measure = Measure.objects.select_related("target_group", "target_user", "operator").get(pk=measure.pk)
    # Serialise lifts of one measure: its Restriction row (lasting kinds) or the measure row itself.
    Measure.objects.select_for_update().filter(pk=measure.pk).first()
    restriction = Restriction.objects.select_for_update().filter(measure=measure).first()
    if not measure_in_force(measure):
        raise ApplicationError("measure_not_liftable")
    now = timezone.now()
    shorten = until is not None
    if shorten:
        current_end = restriction.until if restriction else None
        if restriction is None or until <= now or (current_end is not None and until >= current_end):
            raise ApplicationError("measure_until_required")
    change = Measure.objects.create(
        kind=measure.kind, change=Change.SHORTEN if shorten else Change.LIFT, amends=measure,
        target_type=measure.target_type, target_group=measure.target_group, target_user=measure.target_user,
        target_identity=measure.target_identity, reason_code=measure.reason_code, reason=reason[:4000],
        basis_article=measure.basis_article, basis_paragraph=measure.basis_paragraph,
        basis_citation=measure.basis_citation, basis_text=measure.basis_text, evidence={},
        evidence_sha256=evidence_digest({}), data={}, operator=operator, starts_at=now, ends_at=until if shorten
        else now, report=measure.report, source=source[:40], created_at=now)
    if shorten:
        _shorten(measure, restriction, until, origin=origin)
    else:
        if restriction is not None:
            _identity_rows(measure).delete()
            restriction.delete()
        _undo(measure, operator=operator, reason=reason, credit_source=credit_source, origin=origin)
        _notify_targets(measure, lifted=True)
    _send_gate_bump(user_ids=[measure.target_user_id] if measure.target_user_id else [],
                    group_ids=[measure.target_group_id] if measure.target_group_id else [])
    _record("measure.shorten" if shorten else "measure.lift", change, origin)
    return change


def _identity_rows(measure: Measure):
    """The identity rows a user's blacklist entry brought with it."""
    return Restriction.objects.filter(measure__data__with=measure.pk, kind=MeasureKind.BLACKLIST)


def _notify_targets(measure: Measure, *, lifted: bool) -> None:
    if measure.target_user_id:
        _notify([measure.target_user], measure, lifted=lifted, level="info")
    elif measure.target_group_id:
        _notify(_managers(measure.target_group), measure, lifted=lifted, level="info")


def _shorten(measure: Measure, restriction: Restriction, until: datetime, *, origin: Origin | None) -> None:
    restriction.until = until
    restriction.save(update_fields=["until"])
    _identity_rows(measure).update(until=until)
    _sync(measure, operator=measure.operator, reason="shortened", origin=origin)


def _undo(measure: Measure, *, operator: User | None, reason: str, credit_source: str,
          origin: Origin | None) -> None:
    """Undo what ``measure`` did, its Restriction row already gone: the state follows the measures still in force."""
    if measure.kind == MeasureKind.CREDIT_DOWN:
        credit_change(user=measure.target_user, delta=measure.data["credit_points"], reason_code=measure.reason_code,
                      source=credit_source, operator=operator, reason=reason[:2000] or "measure lifted",
                      ref=f"measure:{measure.pk}", origin=origin)
    else:
        _sync(measure, operator=operator, reason=reason, origin=origin)


def _in_force_until(kind: str, **target: Any) -> tuple[bool, datetime | None]:
    """Whether a measure of ``kind`` on the target is in force, and until when the longest of them runs (None:
    permanent)."""
    now = timezone.now()
    untils = [u for u in Restriction.objects.filter(kind=kind, **target).values_list("until", flat=True)
              if u is None or u > now]
    if not untils:
        return False, None
    return True, None if None in untils else max(untils)


def _sync(measure: Measure, *, operator: User | None, reason: str, origin: Origin | None) -> None:
    """Set the group's or user's state (suspension, blacklist flag, admin suspension, stars) from every measure of
    this kind still in force on it, so overlapping measures never end one another early."""
    kind, group, user = measure.kind, measure.target_group, measure.target_user
    if kind == MeasureKind.SUSPEND_POSTING:
        on, until = _in_force_until(kind, group=group)
        if on:
            group_platform.group_posting_suspend(actor=operator, group=group, until=until, reason=reason,
                                                 origin=origin)
        else:
            group_platform.group_posting_resume(actor=operator, group=group, reason=reason, origin=origin)
    elif kind == MeasureKind.BLACKLIST and group is not None:
        on, until = _in_force_until(kind, group=group)
        group_platform.group_blacklist_set(actor=operator, group=group, until=(until or PERMANENT) if on else None,
                                           reason=reason, origin=origin)
    elif kind == MeasureKind.SUSPEND_ADMIN:
        on, until = _in_force_until(kind, user=user)
        group_platform.member_admin_suspend(actor=operator, user=user, until=until if on else None, reason=reason,
                                            origin=origin)
    elif kind == MeasureKind.STARS_DOWN:
        in_force = (Measure.objects.filter(kind=kind, change=Change.ISSUE, target_group=group)
                    .exclude(amendments__change=Change.LIFT).values_list("data", flat=True))
        stars = min((d["stars"] for d in in_force), default=5)
        group_platform.group_stars_set(actor=operator, group=group, stars=stars, reason=reason, origin=origin)


# --- expiry (the sweep) -------------------------------------------------------------------------------------------
def restrictions_expire(*, now: datetime | None = None, limit: int = 500) -> int:
    """End every restriction whose time is up: posting resumes, admin powers return, the blacklist flag goes, the
    row is deleted, and those concerned are told. Idempotent and safe to run in several workers at once (each row
    under ``SKIP LOCKED``). Returns how many ended. Side effects per row: network log ``measure.expire``;
    ``send_gate_bump``; live frames after commit."""
    now = now or timezone.now()
    ended = 0
    # A warning's deadline passing does not end it: warnings_escalate puts it on the moderators' queue instead.
    due = Restriction.objects.filter(until__lte=now).exclude(kind=MeasureKind.WARNING)
    ids = list(due.order_by("until").values_list("pk", flat=True)[:limit])
    for pk in ids:
        with transaction.atomic():
            row = (Restriction.objects.select_for_update(skip_locked=True, of=("self",)).select_related(
                "measure__target_group", "measure__target_user", "measure__operator").filter(pk=pk, until__lte=now)
                .exclude(kind=MeasureKind.WARNING).first())
            if row is None:
                continue  # another worker ended it, or it was lifted or lengthened meanwhile
            measure = row.measure
            user_id, group_id = row.user_id, row.group_id
            row.delete()
            if measure.target_type != TargetType.IDENTITY:
                _undo(measure, operator=None, reason="expired", credit_source=CreditSource.MEASURE, origin=None)
                _notify_targets(measure, lifted=True)
                _send_gate_bump(user_ids=[user_id] if user_id else [], group_ids=[group_id] if group_id else [])
            record("measure.expire", actor_id=None, target_id=user_id,
                   group_code=measure.target_group.code if measure.target_group_id else "",
                   data={"measure": measure.pk, "kind": measure.kind})
            ended += 1
    return ended


def warnings_escalate(*, now: datetime | None = None) -> int:
    """Put every warning whose rectification deadline passed (and that no moderator lifted as rectified) on the
    moderators' queue, once. Idempotent. Side effects: ``escalated_at`` on its Restriction; network log
    ``measure.escalate``. Returns how many were escalated."""
    now = now or timezone.now()
    escalated = 0
    with transaction.atomic():
        rows = list(Restriction.objects.select_for_update(skip_locked=True, of=("self",)).select_related("measure__target_group")
                    .filter(kind=MeasureKind.WARNING, until__lte=now, escalated_at__isnull=True))
        for row in rows:
            row.escalated_at = now
            row.save(update_fields=["escalated_at"])
            record("measure.escalate", actor_id=None, group_code=row.measure.target_group.code,
                   data={"measure": row.measure_id, "deadline": row.until.isoformat()})
            escalated += 1
    return escalated


def group_notices(*, group: Group, membership: Membership, language: str) -> list[dict]:
    """The ``"group.notices"`` hook: a warning in force stays on the chat page of the group's owner and admins until
    a moderator lifts it as rectified, with its deadline (and, once the deadline passed, that it went to the platform).
    """
    if membership.role not in (Role.OWNER, Role.ADMIN):
        return []
    now = timezone.now()
    notices = []
    for restriction in (Restriction.objects.filter(group=group, kind=MeasureKind.WARNING)
                        .select_related("measure").order_by("until")):
        measure, until = restriction.measure, restriction.until
        category = BY_CODE[measure.reason_code]
        overdue = until is not None and until <= now
        when = _fmt(until, language)
        text = pick(
            language,
            zh=f"平台警告（{category.zh}）：请在 {when} 前完成整改。" + ("整改已逾期，已转平台处理。" if overdue else "")
               + (f"说明：{measure.reason}" if measure.reason else ""),
            en=f"Platform warning ({category.en}): rectify by {when}." + (
                " The deadline has passed; the platform is handling it." if overdue else "")
               + (f" Note: {measure.reason}" if measure.reason else ""),
        )
        notices.append({"kind": "warning", "level": "warning", "text": text, "measure": measure.pk,
                        "until": until.isoformat() if until else None})
    return notices
