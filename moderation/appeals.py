"""Appeals against measures: the target appeals once within 15 days with a text; another moderator decides.

Invariants: at most one appeal per measure (a unique row); only a pending appeal is decided, under its row lock, so a
double click or two moderators at once decide it once; an upheld appeal lifts the measure through ``measure_lift``
(credit back by exactly one ledger entry, source ``appeal``), a rejected one changes nothing but the record.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CreditSource, User
from groupchat.core.broadcast import notify_user_on_commit
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.language import pick
from groupchat.core.origin import Origin

from . import errors  # noqa: F401
from .measures import measure_in_force, measure_lift
from .models_measures import Appeal, AppealStatus, Change, Measure, TargetType

APPEAL_DAYS = 15


def appeal_appellant(measure: Measure) -> int | None:
    """Who may appeal: the user a measure concerns, or the owner of the group it concerns."""
    if measure.target_type == TargetType.USER:
        return measure.target_user_id
    if measure.target_type == TargetType.GROUP:
        return measure.target_group.owner_id
    return None


def appeal_open(measure: Measure, user: User, now=None) -> bool:
    """Whether ``user`` may still appeal ``measure`` (for pages: show the form or not)."""
    now = now or timezone.now()
    return (measure.change == Change.ISSUE and appeal_appellant(measure) == user.pk
            and not Appeal.objects.filter(measure=measure).exists()
            and now <= measure.starts_at + timedelta(days=APPEAL_DAYS))


@transaction.atomic
def appeal_file(*, measure: Measure, user: User, text: str, origin: Origin | None = None) -> Appeal:
    """File ``user``'s appeal against ``measure``. Refused with ``appeal_not_target``, ``appeal_exists``,
    ``appeal_too_late`` or ``appeal_text_required``. Side effects: network log ``appeal.file``."""
    text = (text or "").strip()
    if measure.change != Change.ISSUE or appeal_appellant(measure) != user.pk:
        raise ApplicationError("appeal_not_target")
    if not 10 <= len(text) <= 2000:
        raise ApplicationError("appeal_text_required")
    if Appeal.objects.filter(measure=measure).exists():
        raise ApplicationError("appeal_exists")
    if timezone.now() > measure.starts_at + timedelta(days=APPEAL_DAYS):
        raise ApplicationError("appeal_too_late", params={"days": APPEAL_DAYS})
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(measure=measure, appellant=user, text=text)
    except IntegrityError as exc:  # a concurrent second submission
        raise ApplicationError("appeal_exists") from exc
    record("appeal.file", actor_id=user.pk, origin=origin, target_id=measure.target_user_id,
           data={"appeal": appeal.pk, "measure": measure.pk})
    return appeal


@transaction.atomic
def appeal_decide(*, appeal: Appeal, moderator: User, upheld: bool, text: str = "",
                  origin: Origin | None = None) -> Appeal:
    """Decide a pending appeal. The issuer of the measure may not decide it (``appeal_same_moderator``).

    Upheld: the measure is lifted (``measure_lift`` with credit source ``appeal``: a credit measure's points come
    back in one ledger entry) when it is still in force. Side effects: network log ``appeal.decide``; a notice to
    the appellant after commit."""
    appeal = Appeal.objects.select_for_update().select_related("measure").get(pk=appeal.pk)
    if appeal.status != AppealStatus.PENDING:
        raise ApplicationError("appeal_not_pending")
    measure = appeal.measure
    if measure.operator_id is not None and measure.operator_id == moderator.pk:
        raise ApplicationError("appeal_same_moderator")
    now = timezone.now()
    if upheld and measure_in_force(measure):
        appeal.lift = measure_lift(measure=measure, operator=moderator, reason=text or "appeal upheld",
                                   credit_source=CreditSource.APPEAL, source=f"appeal:{appeal.pk}", origin=origin)
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
    appeal.decided_by, appeal.decided_at, appeal.decision_text = moderator, now, text[:4000]
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_text", "lift"])
    record("appeal.decide", actor_id=moderator.pk, origin=origin, target_id=appeal.appellant_id,
           data={"appeal": appeal.pk, "measure": measure.pk, "upheld": upheld})
    notify_user_on_commit(appeal.appellant_id, pick(
        appeal.appellant.language,
        zh="你的申诉已处理：" + ("申诉成立，处置已解除。" if upheld else "申诉被驳回。"),
        en="Your appeal was decided: " + ("upheld, the measure is lifted." if upheld else "rejected.")),
        level="info")
    return appeal
