"""The moderators' workflow: new -> triaged -> assigned -> decided -> closed, plus merging duplicate cases and
marking a false report.

Invariants: every step locks its case, checks the state it starts from, writes a ``CaseEvent`` and a network-log
row in the same transaction, and tells the reporters (after commit) when the state they see changes. A decision
applies to every complaint of the case at once. A reporter's credit is lowered only by ``complaint_mark_false``
with ``penalise=True``: a moderator's explicit decision, never an automatic rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.conf import conf as accounts_conf
from accounts.credit import credit_change
from accounts.models import CreditSource, User
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from moderation.categories import BY_CODE
from moderation.measures import measure_issue
from moderation.models_measures import Measure

from ..feedback import notify_reporters, reporter_state
from ..models import OPEN_STATUSES, Case, CaseEvent, CaseStatus, Complaint, EventKind, Outcome
from ..sla import deadlines_for, next_check

# The credit a moderator's "false report" decision may take (accounts' fixed "minor" penalty).
FALSE_REPORT_PENALTY = "minor"


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _require(case: Case, *statuses: str) -> None:
    if case.status not in statuses:
        raise ApplicationError("case_wrong_state", params={"status": case.get_status_display()})


def _event(case: Case, kind: str, actor: User | None, **data) -> None:
    CaseEvent.objects.create(case=case, kind=kind, actor=actor, data=data)
    record(f"complaint.{kind}", actor_id=actor.pk if actor else None,
           group_code=case.group.code if case.group_id else "", target_id=case.target_user_id,
           data={"case": case.pk, **data})


def _triage_fields(case: Case, moderator: User, now) -> list[str]:
    case.triaged_at = now
    _event(case, EventKind.TRIAGED, moderator, category=case.category, urgent=case.urgent)
    return ["triaged_at"]


@transaction.atomic
def case_triage(*, case: Case, moderator: User, category: str | None = None) -> Case:
    """Accept a new case into handling, optionally correcting its category (which resets its urgency and deadlines
    from the time of the first report). Side effects: event ``triaged``; reporters told "being handled"."""
    case = _lock(case)
    _require(case, CaseStatus.NEW)
    now = timezone.now()
    fields = ["status"]
    if category and category != case.category:
        if category not in BY_CODE:
            raise ApplicationError("report_category_invalid")
        case.category, case.urgent = category, BY_CODE[category].urgent
        due = deadlines_for(filed_at=case.created_at, urgent=case.urgent)
        case.triage_due, case.decide_due = due.triage_due, due.decide_due
        fields += ["category", "urgent", "triage_due", "decide_due"]
    case.status = CaseStatus.TRIAGED
    fields += _triage_fields(case, moderator, now)
    case.next_check_at = next_check(case)
    case.save(update_fields=[*fields, "next_check_at"])
    notify_reporters(case)
    return case


@transaction.atomic
def case_assign(*, case: Case, moderator: User, assignee: User) -> Case:
    """Give an open case to a moderator (a new case is triaged on the way). Side effects: events ``triaged`` (when
    new) and ``assigned``; reporters told "being handled" when it was new."""
    case = _lock(case)
    _require(case, *OPEN_STATUSES)
    now = timezone.now()
    was = reporter_state(case)
    fields = ["status", "assignee", "assigned_at"]
    if case.status == CaseStatus.NEW:
        fields += _triage_fields(case, moderator, now)
    case.status, case.assignee, case.assigned_at = CaseStatus.ASSIGNED, assignee, now
    case.next_check_at = next_check(case)
    _event(case, EventKind.ASSIGNED, moderator, assignee=assignee.pk)
    case.save(update_fields=[*fields, "next_check_at"])
    if reporter_state(case) != was:
        notify_reporters(case)
    return case


@dataclass(frozen=True)
class MeasureOrder:
    """A measure a violation decision takes through moderation's ``measure_issue``: ``on`` the case's person
    (``"user"``) or its group (``"group"``); ``until`` for the lasting kinds; ``credit_points`` for credit_down."""

    kind: str
    on: str = "user"
    until: datetime | None = None
    credit_points: int | None = None


def _measure_evidence(case: Case) -> dict:
    """What a measure records as its evidence: the case's tickets with the SHA-256 of each frozen snapshot (the
    snapshots themselves stay with the complaints)."""
    tickets = [{"number": c.number, "category": c.category, "sha256": c.evidence.sha256}
               for c in case.complaints.select_related("evidence").order_by("pk")]
    return {"complaint_case": case.pk, "target": case.target_key, "tickets": tickets}


def _issue(case: Case, order: MeasureOrder, *, moderator: User, reason: str) -> Measure:
    target_user = case.target_user if order.on == "user" else None
    target_group = case.group if order.on == "group" else None
    if (target_user or target_group) is None:
        raise ApplicationError("decision_measure_invalid")
    extra = {"credit_points": order.credit_points} if order.credit_points else {}
    return measure_issue(kind=order.kind, operator=moderator, reason_code=case.category, target_user=target_user,
                         target_group=target_group, until=order.until, reason=reason,
                         evidence=_measure_evidence(case), source=f"complaint:{case.pk}", **extra)


def _linked(case: Case, measure_ids: Sequence[int]) -> list[Measure]:
    rows = list(Measure.objects.filter(pk__in=set(measure_ids)))
    for m in rows:
        if not ((m.target_user_id and m.target_user_id == case.target_user_id)
                or (m.target_group_id and m.target_group_id == case.group_id)):
            raise ApplicationError("decision_measure_invalid")
    if len(rows) != len(set(measure_ids)):
        raise ApplicationError("decision_measure_invalid")
    return rows


@transaction.atomic
def case_decide(*, case: Case, moderator: User, outcome: str, reason: str, measures: Sequence[MeasureOrder] = (),
                measure_ids: Sequence[int] = ()) -> Case:
    """Decide an open case: ``violation`` or ``no_violation``, with the reason the reporters are told.

    A violation takes at least one measure: ``measures`` are issued now through moderation's ``measure_issue``
    (source ``complaint:<case>``, the tickets' evidence hashes as their evidence); ``measure_ids`` link measures
    already taken on the case's person or group. The reported person hears of the measure from moderation and may
    appeal it there; never who reported. Every complaint of the case is decided at once (its ``decided_at`` set,
    for the statistics). Side effects: the measures (with theirs: restrictions, notices, network log); event
    ``decided`` (and ``triaged`` when skipped); network log; reporters notified of the outcome; the SLA badge
    cleared. A measure refused by moderation refuses the whole decision (nothing half-done).
    """
    if outcome not in (Outcome.VIOLATION, Outcome.NO_VIOLATION):
        raise ApplicationError("bad_request")
    if not (reason or "").strip():
        raise ApplicationError("decision_reason_required")
    if outcome == Outcome.VIOLATION and not (measures or measure_ids):
        raise ApplicationError("decision_measure_required")
    if outcome == Outcome.NO_VIOLATION and (measures or measure_ids):
        raise ApplicationError("bad_request")
    case = _lock(case)
    _require(case, *OPEN_STATUSES)
    now = timezone.now()
    taken = _linked(case, measure_ids) if measure_ids else []
    taken += [_issue(case, order, moderator=moderator, reason=reason.strip()) for order in measures]
    fields = ["status", "outcome", "outcome_reason", "decided_by", "decided_at", "escalation", "next_check_at"]
    if case.triaged_at is None:
        fields += _triage_fields(case, moderator, now)
    case.status, case.outcome, case.outcome_reason = CaseStatus.DECIDED, outcome, reason.strip()[:2000]
    case.decided_by, case.decided_at, case.escalation, case.next_check_at = moderator, now, "", None
    case.save(update_fields=fields)
    if taken:
        case.measures.add(*taken)
    case.complaints.update(decided_at=now)
    _event(case, EventKind.DECIDED, moderator, outcome=outcome, measures=[m.pk for m in taken])
    notify_reporters(case)
    return case


@transaction.atomic
def case_close(*, case: Case, moderator: User) -> Case:
    """Close a decided case (nothing more to do). Side effects: event ``closed``."""
    case = _lock(case)
    _require(case, CaseStatus.DECIDED)
    case.status, case.closed_at = CaseStatus.CLOSED, timezone.now()
    case.save(update_fields=["status", "closed_at"])
    _event(case, EventKind.CLOSED, moderator)
    return case


@transaction.atomic
def case_merge(*, source: Case, into: Case, moderator: User) -> Case:
    """Merge a duplicate open case into another open one: its complaints move over, the kept case takes the higher
    urgency and priority and the tighter deadlines. Side effects: event ``merged`` on both; ``source`` ends
    ``merged``; reporters whose visible state changes are told."""
    if source.pk == into.pk:
        raise ApplicationError("case_merge_invalid")
    first, second = sorted([source.pk, into.pk])
    locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
    source, into = locked[source.pk], locked[into.pk]
    if not (source.is_open and into.is_open):
        raise ApplicationError("case_merge_invalid")
    moved = list(source.complaints.select_related("reporter"))
    changed = moved if reporter_state(source) != reporter_state(into) else []
    Complaint.objects.filter(case=source).update(case=into)
    into.urgent, into.priority = into.urgent or source.urgent, into.priority or source.priority
    into.triage_due, into.decide_due = min(into.triage_due, source.triage_due), min(into.decide_due,
                                                                                    source.decide_due)
    into.next_check_at = next_check(into)
    into.save(update_fields=["urgent", "priority", "triage_due", "decide_due", "next_check_at"])
    source.status, source.merged_into, source.closed_at = CaseStatus.MERGED, into, timezone.now()
    source.next_check_at = None
    source.save(update_fields=["status", "merged_into", "closed_at", "next_check_at"])
    numbers = [c.number for c in moved]
    _event(source, EventKind.MERGED, moderator, into=into.pk, complaints=numbers)
    _event(into, EventKind.MERGED, moderator, merged_from=source.pk, complaints=numbers)
    if changed:
        notify_reporters(into, changed)
    return into


@transaction.atomic
def complaint_mark_false(*, complaint: Complaint, moderator: User, reason: str, penalise: bool = False) -> Complaint:
    """Record a moderator's finding that a report was false (made in bad faith), after a no-violation decision;
    only with ``penalise=True`` does the reporter's credit drop (accounts' fixed minor penalty, a manual ledger
    entry naming the moderator). Side effects: event ``false_report``; network log; with ``penalise``, a credit
    event ``false_report`` (and accounts' own notice on a grade change)."""
    if not (reason or "").strip():
        raise ApplicationError("decision_reason_required")
    complaint = Complaint.objects.select_for_update(of=("self",)).select_related("case", "reporter").get(pk=complaint.pk)
    if complaint.case.outcome != Outcome.NO_VIOLATION or complaint.reporter is None:
        raise ApplicationError("case_wrong_state", params={"status": complaint.case.get_status_display()})
    if not complaint.false_report:
        complaint.false_report = True
        complaint.save(update_fields=["false_report"])
    CaseEvent.objects.create(case=complaint.case, complaint=complaint, kind=EventKind.FALSE_REPORT, actor=moderator,
                             data={"number": complaint.number, "penalised": penalise})
    record("complaint.false_report", actor_id=moderator.pk, target_id=complaint.reporter_id,
           data={"complaint": complaint.number, "penalised": penalise})
    if penalise:
        credit_change(user=complaint.reporter, delta=accounts_conf("CREDIT_PENALTIES")[FALSE_REPORT_PENALTY],
                      reason_code="false_report", source=CreditSource.MANUAL, operator=moderator,
                      reason=reason.strip(), ref=complaint.number)
    return complaint


def complaint_list_seen(*, reporter: User) -> int:
    """The reporter has looked at their reports: the "updated" marks go. Returns how many tickets were marked."""
    now = timezone.now()
    return (Complaint.objects.filter(reporter=reporter, changed_at__isnull=False)
            .filter(Q(seen_at__isnull=True) | Q(seen_at__lt=F("changed_at"))).update(seen_at=now))
