"""Reads for accounts; other apps use ``grade_permissions_for`` and ``user_gate_state`` (never the tables directly)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from .conf import conf
from .models import (
    Agreement,
    AgreementAcceptance,
    CreditEvent,
    GradePermission,
    IdentitySubmission,
    SubmissionStatus,
    User,
)
from .sql import user_gate_rows


def grade_for(score: int) -> str:
    for grade, floor in conf("CREDIT_GRADES"):
        if score >= floor:
            return grade
    return conf("CREDIT_GRADES")[-1][0]


@dataclass(frozen=True)
class GradePermissions:
    grade: str
    score: int
    groups_owned_max: int
    groups_created_per_day: int
    groups_joined_max: int
    admin_eligible: bool
    max_owned_tier: str  # "small" / "medium" / "large"; "" = may own no group
    message_rate: str  # the ``limits`` syntax, e.g. "20/10second"


GRADE_PERMISSION_FIELDS = ("groups_owned_max", "groups_created_per_day", "groups_joined_max", "admin_eligible",
                           "max_owned_tier", "message_rate")


def grade_permissions_for_grade(grade: str, *, score: int = -1) -> GradePermissions:
    row = GradePermission.objects.filter(grade=grade).values(*GRADE_PERMISSION_FIELDS).first()
    values = row or conf("GRADE_PERMISSIONS")[grade]
    return GradePermissions(grade=grade, score=score, **{name: values[name] for name in GRADE_PERMISSION_FIELDS})


def grade_permissions_for_score(score: int) -> GradePermissions:
    return grade_permissions_for_grade(grade_for(score), score=score)


def grade_permissions_for(user: User) -> GradePermissions:
    """What ``user``'s current credit grade allows (fresh score from the database, table row or settings default)."""
    score = User.objects.filter(pk=user.pk).values_list("credit_score", flat=True).first()
    return grade_permissions_for_score(conf("CREDIT_START") if score is None else score)


def grade_table() -> list[GradePermissions]:
    return [grade_permissions_for_grade(grade) for grade, _ in conf("CREDIT_GRADES")]


def agreements_current() -> list[Agreement]:
    """The latest published version of each kind (what the public pages show)."""
    now = timezone.now()
    newer = Agreement.objects.filter(kind=OuterRef("kind"), published_at__lte=now,
                                     published_at__gt=OuterRef("published_at"))
    return list(Agreement.objects.filter(published_at__lte=now).exclude(Exists(newer)).order_by("kind"))


def agreement_current(kind: str) -> Agreement | None:
    return Agreement.objects.filter(kind=kind, published_at__lte=timezone.now()).order_by("-published_at").first()


def agreements_missing(user: User) -> list[Agreement]:
    """Material versions ``user`` must still accept: per kind, the latest material published version, unless the user
    accepted it or any version of that kind published later. One query."""
    now = timezone.now()
    newer_material = Agreement.objects.filter(kind=OuterRef("kind"), material=True, published_at__lte=now,
                                              published_at__gt=OuterRef("published_at"))
    accepted = AgreementAcceptance.objects.filter(user_id=user.pk, agreement__kind=OuterRef("kind"),
                                                  agreement__published_at__gte=OuterRef("published_at"))
    return list(Agreement.objects.filter(material=True, published_at__lte=now)
                .exclude(Exists(newer_material)).exclude(Exists(accepted)).order_by("kind"))


def credit_history(user: User, *, limit: int = 100) -> list[CreditEvent]:
    return list(CreditEvent.objects.filter(user=user).select_related("operator")[:limit])


@dataclass(frozen=True)
class IdentityState:
    level: int
    phone_masked: str
    phone_verified: bool
    personal: IdentitySubmission | None  # the latest L2 submission (any status)
    organisation: IdentitySubmission | None
    approved_personal: IdentitySubmission | None
    approved_organisation: IdentitySubmission | None


def identity_state(user: User) -> IdentityState:
    from .idnumbers import phone_mask

    user = User.objects.get(pk=user.pk)
    subs = list(IdentitySubmission.objects.filter(user=user).order_by("-submitted_at")[:50])
    personal = [s for s in subs if s.level == 2]
    org = [s for s in subs if s.level == 3]
    return IdentityState(
        level=user.verification_level,
        phone_masked=phone_mask(user.phone),
        phone_verified=user.phone_verified_at is not None,
        personal=personal[0] if personal else None,
        organisation=org[0] if org else None,
        approved_personal=next((s for s in personal if s.status == SubmissionStatus.APPROVED), None),
        approved_organisation=next((s for s in org if s.status == SubmissionStatus.APPROVED), None),
    )


@dataclass(frozen=True)
class GateState:
    level: int
    score: int
    grade: str
    agreements_missing: bool
    message_rate: str  # the grade's message rate ("" = none)
    is_active: bool = True  # False: the account is deactivated (G6a, G11): it may not post anywhere


def user_gate_state(user_id: int) -> GateState | None:
    """Everything the send path needs from accounts, fresh, in one query: verification level, score, grade,
    whether a material agreement is still to be accepted, and the grade's message rate."""
    return user_gate_states([user_id]).get(user_id)


def user_gate_states(user_ids) -> dict[int, GateState]:
    """``user_gate_state`` for many users in one query (a batch of sends from many senders).

    A material agreement is missing when its latest published version has no acceptance of that version or later."""
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    rows = user_gate_rows(user_ids, timezone.now())  # accounts/sql.py: one statement for the whole batch
    states = {}
    for pk, level, score, rate, active, missing in rows:
        grade = grade_for(score)
        if rate is None:
            rate = conf("GRADE_PERMISSIONS")[grade]["message_rate"]
        states[pk] = GateState(level=level, score=score, grade=grade, agreements_missing=bool(missing),
                               message_rate=rate, is_active=bool(active))
    return states
