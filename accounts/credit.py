"""User credit (G7b, G11b): score 0-100 (start 80), grades A-D, an append-only ledger and a recovery sweep.

Invariants: ``User.credit_score`` changes only here, under a row lock, together with its ``CreditEvent`` (so the
latest event's ``score_after`` always equals the score); a grade change reaches the user's open sockets after commit.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from groupchat.core.broadcast import notify_user_on_commit
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.filing import filing_changed
from groupchat.core.hooks import run_hooks
from groupchat.core.language import pick
from groupchat.core.origin import Origin

from .conf import conf
from .models import CreditEvent, CreditSource, GradePermission, User
from .selectors import GRADE_PERMISSION_FIELDS, grade_for, grade_table

GRADE_TEXT = {
    "zh-hans": "你的信用等级已由 {before} 变为 {after}（当前 {score} 分）。详情见“我的信用”。",
    "en": "Your credit grade changed from {before} to {after} (score {score}). See My credit for details.",
}


@transaction.atomic
def credit_change(*, user: User, delta: int, reason_code: str, source: str, operator: User | None = None,
                  reason: str = "", ref: str = "", origin: Origin | None = None, at: datetime | None = None
                  ) -> CreditEvent:
    """Move ``user``'s score by ``delta`` (clamped to 0-100) and append the ledger event.

    ``source`` is one of CreditSource; ``manual`` needs an operator and a reason. Side effects: network log
    ``credit.change``; on a grade change a live ``user.notice`` (warning) to the user's sockets after commit.
    """
    if source not in CreditSource.values:
        raise ApplicationError("invalid_credit_source")
    if source == CreditSource.MANUAL and (operator is None or not reason.strip()):
        raise ApplicationError("bad_request")
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = locked.credit_score
    after = max(0, min(100, before + int(delta)))
    grade_before, grade_after = grade_for(before), grade_for(after)
    event = CreditEvent.objects.create(
        user=locked, delta=after - before, score_before=before, score_after=after, grade_before=grade_before,
        grade_after=grade_after, reason_code=reason_code[:40], source=source, operator=operator,
        reason=reason[:2000], ref=str(ref)[:60], created_at=at or timezone.now(),
    )
    if after != before:
        locked.credit_score = after
        locked.save(update_fields=["credit_score"])
        user.credit_score = after
    record("credit.change", actor_id=operator.pk if operator else None, origin=origin, target_id=locked.pk,
           data={"delta": after - before, "score": after, "grade": grade_after, "reason": reason_code,
                 "source": source, "ref": str(ref)[:60]})
    if grade_after != grade_before:
        text = GRADE_TEXT[pick(locked.language, zh="zh-hans", en="en")].format(
            before=grade_before, after=grade_after, score=after)
        notify_user_on_commit(locked.pk, text, level="warning")
    return event


def credit_penalise(*, user: User, severity: str, reason_code: str, source: str = CreditSource.MEASURE,
                    operator: User | None = None, reason: str = "", ref: str = "") -> CreditEvent:
    """A confirmed violation moves the score by the fixed rule ``CREDIT_PENALTIES[severity]``."""
    penalties = conf("CREDIT_PENALTIES")
    if severity not in penalties:
        raise ApplicationError("bad_request")
    return credit_change(user=user, delta=penalties[severity], reason_code=reason_code, source=source,
                         operator=operator, reason=reason, ref=ref)


def credit_recover_sweep(*, now: datetime | None = None) -> int:
    """Give back ``CREDIT_RECOVERY_POINTS`` to each user below the start score for whom a full recovery period has
    passed since their last violation, last recovery or sign-up. Idempotent: a second run in the same period finds
    the recovery it just wrote and does nothing. Returns the number of users recovered."""
    now = now or timezone.now()
    start = conf("CREDIT_START")
    period = timedelta(days=conf("CREDIT_RECOVERY_DAYS"))
    points = conf("CREDIT_RECOVERY_POINTS")
    recovered = 0
    candidates = (User.objects.filter(credit_score__lt=start)
                  .annotate(anchor=Max("credit_events__created_at",
                                       filter=Q(credit_events__delta__lt=0)
                                       | Q(credit_events__source=CreditSource.RECOVERY)))
                  .values_list("pk", "anchor", "date_joined"))
    for pk, anchor, joined in candidates.iterator(chunk_size=500):
        if (anchor or joined) > now - period:
            continue
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=pk)
            # Re-check under the lock: a concurrent sweep or a new violation may have moved the anchor.
            last = (CreditEvent.objects.filter(user=user).filter(Q(delta__lt=0) | Q(source=CreditSource.RECOVERY))
                    .aggregate(at=Max("created_at"))["at"])
            if user.credit_score >= start or (last or user.date_joined) > now - period:
                continue
            credit_change(user=user, delta=min(points, start - user.credit_score), reason_code="recovery",
                          source=CreditSource.RECOVERY, reason=f"{period.days} days without violations", at=now)
            recovered += 1
    return recovered


# What a grade allows only shrinks from one grade to the next worse one (REGULATION §5.3: "all lower at lower
# grades"; G7b: services according to grade). Tiers are compared by rank through the groups hook.
ORDERED_FIELDS = ("groups_owned_max", "groups_created_per_day", "groups_joined_max", "admin_eligible")


def grade_permission_validate(*, grade: str, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The whole table as it would be with ``values`` for ``grade``, or ApplicationError: ``grade_table_invalid`` (a
    worse grade allowing more than a better one), ``grade_table_rate_invalid`` (an unreadable message rate), and
    through the ``grade_table.check`` hook of groups ``grade_table_tier_invalid`` (no such tier, or tier order)."""
    from limits import parse

    table = {row.grade: {f: getattr(row, f) for f in GRADE_PERMISSION_FIELDS} for row in grade_table()}
    if grade not in table:
        raise ApplicationError("bad_request")
    table[grade] = {**table[grade], **{k: v for k, v in values.items() if k in GRADE_PERMISSION_FIELDS}}
    grades = [g for g, _floor in conf("CREDIT_GRADES")]  # best first
    for better, worse in itertools.pairwise(grades):
        for field in ORDERED_FIELDS:
            if table[worse][field] > table[better][field]:
                raise ApplicationError("grade_table_invalid", params={"grade": worse, "better": better,
                                                                     "field": field})
    for row in table.values():
        try:
            parse(str(row["message_rate"]))
        except ValueError as exc:
            raise ApplicationError("grade_table_rate_invalid", params={"value": row["message_rate"]}) from exc
    run_hooks("grade_table.check", table=table, order=grades)
    return table


@transaction.atomic
def grade_permission_update(*, actor: User | None, grade: str, values: dict[str, Any],
                            origin: Origin | None = None) -> GradePermission:
    """Change what ``grade`` allows. The caps are part of the filed tier system (G7a): the kernel's
    ``filing.changed`` hook (compliance) makes a new, unfiled filing version in the same transaction.

    Side effects: network log ``credit.grade_table`` with the old and new values; the filing version.
    Raises the codes of ``grade_permission_validate``."""
    grade_permission_validate(grade=grade, values=values)
    row = GradePermission.objects.select_for_update().filter(grade=grade).first()
    if row is None:
        raise ApplicationError("bad_request")
    changes = {f: {"from": getattr(row, f), "to": values[f]} for f in GRADE_PERMISSION_FIELDS
               if f in values and values[f] != getattr(row, f)}
    if not changes:
        return row
    for field, change in changes.items():
        setattr(row, field, change["to"])
    row.save(update_fields=list(changes))
    record("credit.grade_table", actor_id=actor.pk if actor else None, origin=origin,
           data={"grade": grade, "changes": changes})
    filing_changed(actor=actor, summary=f"grade {grade}: {', '.join(changes)}")
    return row


def grade_table_ensure() -> None:
    """Create any missing row of the grade permissions table from the settings defaults (never overwrites an
    operator's edits). Runs after every migrate, so a test flush or a fresh database always has the table."""
    from .models import GradePermission

    for grade, values in conf("GRADE_PERMISSIONS").items():
        GradePermission.objects.get_or_create(grade=grade, defaults=values)
