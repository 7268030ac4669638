"""Filing a report and entering an authority's referral.

Invariants: a complaint, its frozen evidence, its case (new or joined) and their event rows commit together; the
ticket number exists the moment the service returns; at most one open case per target (a database constraint).
"""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from groupchat.core import ratelimit
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.hooks import run_hooks
from groupchat.core.origin import Origin
from groups.models import Message
from moderation.categories import BY_CODE

from .. import evidence as ev
from ..conf import conf
from ..models import OPEN_STATUSES, Case, CaseEvent, Complaint, EventKind, Evidence, Source
from ..sla import deadlines_for, next_check
from ..targets import Target, is_member, target_resolve


def _chosen_messages(*, ids: list[int], target: Target, reporter: User | None) -> list[Message]:
    """Further messages the reporter chose: all of one group (the target's, or for a user report one group of
    theirs), visible to the reporter."""
    limit = conf("EVIDENCE_MAX_CHOSEN")
    ids = sorted({int(i) for i in ids or []} - ({target.message.pk} if target.message else set()))
    if not ids:
        return []
    if len(ids) > limit:
        raise ApplicationError("report_evidence_invalid", params={"limit": limit})
    rows = list(Message.objects.select_related("group", "sender").filter(pk__in=ids))
    groups = {m.group_id for m in rows}
    if (len(rows) != len(ids) or len(groups) != 1
            or (target.group is not None and groups != {target.group.pk})
            or not is_member(reporter, rows[0].group)):
        raise ApplicationError("report_evidence_invalid", params={"limit": limit})
    return rows


def _validate(*, category: str, text: str) -> str:
    if category not in BY_CODE:
        raise ApplicationError("report_category_invalid")
    text = (text or "").strip()
    limit = conf("TEXT_MAX_CHARS")
    if len(text) > limit:
        raise ApplicationError("report_text_too_long", params={"limit": limit})
    return text


def _open_case_for(target: Target, *, category: str, now: datetime, priority: bool) -> tuple[Case, bool]:
    """The open case of this target, locked, or a new one; ``(case, created)``."""
    urgent = BY_CODE[category].urgent
    for _ in range(2):
        case = Case.objects.select_for_update().filter(target_key=target.key, status__in=OPEN_STATUSES).first()
        if case is not None:
            return case, False
        due = deadlines_for(filed_at=now, urgent=urgent)
        try:
            with transaction.atomic():  # a concurrent first report of the same target wins; join its case
                case = Case(target_kind=target.kind, target_key=target.key, target_user=target.user,
                            group=target.group, message=target.message, category=category, urgent=urgent,
                            priority=priority, created_at=now, triage_due=due.triage_due, decide_due=due.decide_due)
                case.next_check_at = next_check(case)
                case.save(force_insert=True)
            return case, True
        except IntegrityError:
            continue
    raise ApplicationError("server_error")


def _join(case: Case, *, category: str, urgent: bool, priority: bool, due) -> None:
    """A further complaint joins an open case: the case takes the tighter deadlines and the higher urgency."""
    fields = []
    if urgent and not case.urgent:
        case.urgent, case.category = True, category
        fields += ["urgent", "category"]
    if priority and not case.priority:
        case.priority = True
        fields.append("priority")
    if due.triage_due < case.triage_due:
        case.triage_due = due.triage_due
        fields.append("triage_due")
    if due.decide_due < case.decide_due:
        case.decide_due = due.decide_due
        fields.append("decide_due")
    if fields:
        case.next_check_at = next_check(case)  # the sweep looks again at the tighter deadlines
        case.save(update_fields=[*fields, "next_check_at"])


def _file(*, target: Target, reporter: User | None, category: str, text: str, chosen: list[Message],
          source: str, authority_ref: str = "", entered_by: User | None = None,
          origin: Origin | None) -> Complaint:
    now = timezone.now()
    meta = BY_CODE[category]
    priority = source != Source.USER
    case, created = _open_case_for(target, category=category, now=now, priority=priority)
    due = deadlines_for(filed_at=now, urgent=meta.urgent)
    if not created:
        _join(case, category=category, urgent=meta.urgent, priority=priority, due=due)
    complaint = Complaint.objects.create(
        number=f"tmp-{uuid4().hex[:16]}", case=case, reporter=reporter, source=source,
        authority_ref=authority_ref, entered_by=entered_by, target_kind=target.kind, target_key=target.key,
        category=category, report_type=meta.report_type, urgent=meta.urgent, text=text, created_at=now,
        decide_due=due.decide_due)
    complaint.number = f"R{timezone.localtime(now):%Y%m%d}-{complaint.pk:06d}"
    complaint.save(update_fields=["number"])
    snapshot = ev.snapshot_for(target_kind=target.kind, message=target.message, user=target.user,
                               group=target.group, chosen=chosen)
    Evidence.objects.create(complaint=complaint, snapshot=snapshot, sha256=ev.digest(snapshot), frozen_at=now)
    kind = EventKind.FILED if source == Source.USER else EventKind.REFERRED
    CaseEvent.objects.create(case=case, complaint=complaint, kind=kind if created else EventKind.JOINED,
                             actor=entered_by or reporter, created_at=now,
                             data={"number": complaint.number, "category": category, "source": source})
    record("complaint.filed", actor_id=(entered_by or reporter).pk if (entered_by or reporter) else None,
           origin=origin, group_code=target.group.code if target.group else "",
           target_id=target.user.pk if target.user else None,
           data={"complaint": complaint.number, "case": case.pk, "category": category, "source": source})
    return complaint


@transaction.atomic
def complaint_file(*, reporter: User, target: str, category: str, text: str = "",
                   evidence_message_ids: list[int] | None = None, origin: Origin | None = None) -> Complaint:
    """File a report and return its ticket (``number`` is set).

    Side effects: a complaint with frozen evidence (SHA-256); a new case, or joining the target's open case
    (tightening its deadlines when this report is urgent); a case event; network log ``complaint.filed``.
    Refusals: ``report_target_invalid``, ``report_target_not_found``, ``report_self``, ``report_category_invalid``,
    ``report_text_too_long``, ``report_evidence_invalid``, ``already_reported``, ``report_rate_limited``. The text
    is screened (``text.screen``, ``field="complaint"``), which queues a hit for review but never refuses a report.
    """
    resolved = target_resolve(target=target, reporter=reporter)
    if resolved.user is not None and resolved.user.pk == reporter.pk:
        raise ApplicationError("report_self")
    text = _validate(category=category, text=text)
    chosen = _chosen_messages(ids=evidence_message_ids or [], target=resolved, reporter=reporter)
    earlier = Complaint.objects.filter(reporter=reporter, target_key=resolved.key,
                                       case__status__in=OPEN_STATUSES).first()
    if earlier is not None:
        raise ApplicationError("already_reported", params={"number": earlier.number},
                               extra={"number": earlier.number})
    for rate in conf("REPORT_RATES"):
        if not ratelimit.hit(rate, "complaint", str(reporter.pk)):
            raise ApplicationError("report_rate_limited")
    if text:  # last, so a refused report leaves no review item behind
        run_hooks("text.screen", text=text, field="complaint", user=reporter)
    return _file(target=resolved, reporter=reporter, category=category, text=text, chosen=chosen,
                 source=Source.USER, origin=origin)


@transaction.atomic
def complaint_refer(*, staff: User, source: str, authority_ref: str, target: str, category: str, text: str = "",
                    evidence_message_ids: list[int] | None = None, origin: Origin | None = None) -> Complaint:
    """Enter a referral from the authority (12377 or the CAC): it goes to the priority queue.

    Side effects as ``complaint_file`` (the case is marked priority); no reporter, ``entered_by`` = ``staff``.
    """
    if source not in (Source.REFERRAL_12377, Source.REFERRAL_CAC):
        raise ApplicationError("bad_request")
    if not (authority_ref or "").strip():
        raise ApplicationError("referral_reference_required")
    resolved = target_resolve(target=target, reporter=None)
    text = _validate(category=category, text=text)
    chosen = _chosen_messages(ids=evidence_message_ids or [], target=resolved, reporter=None)
    return _file(target=resolved, reporter=None, category=category, text=text, chosen=chosen, source=source,
                 authority_ref=authority_ref.strip()[:60], entered_by=staff, origin=origin)
