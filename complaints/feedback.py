"""What a reporter is told about their report: its state in plain words, and a live notice when that changes.

The reporter sees three states (received, being handled, handled with an outcome); the moderators' finer steps
(triaged, assigned) all read as "being handled". Nothing here ever names the reporter to anyone else.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from groupchat.core.broadcast import notify_user_on_commit
from groupchat.core.language import pick

from .models import Case, CaseStatus, Complaint, Outcome

RECEIVED, HANDLING, HANDLED = "received", "handling", "handled"

_STATE_TEXT = {
    RECEIVED: ("已受理，等待处理", "Received, waiting to be handled"),
    HANDLING: ("处理中", "Being handled"),
}
_OUTCOME_TEXT = {
    Outcome.VIOLATION: ("已处理：确认违规，平台已依规处置", "Handled: a violation was found and the platform acted on it"),
    Outcome.NO_VIOLATION: ("已处理：经核查未发现违规", "Handled: after checking, no violation was found"),
}


def reporter_state(case: Case) -> str:
    if case.status in (CaseStatus.DECIDED, CaseStatus.CLOSED):
        return HANDLED
    if case.status in (CaseStatus.TRIAGED, CaseStatus.ASSIGNED):
        return HANDLING
    return RECEIVED


def state_text(case: Case, language: str | None = None) -> str:
    state = reporter_state(case)
    if state == HANDLED:
        zh, en = _OUTCOME_TEXT.get(case.outcome, _OUTCOME_TEXT[Outcome.NO_VIOLATION])
    else:
        zh, en = _STATE_TEXT[state]
    return pick(language, zh=zh, en=en)


def notify_reporters(case: Case, complaints: Iterable[Complaint] | None = None) -> None:
    """Mark each ticket of ``case`` (or ``complaints``) changed for its reporter and send them a ``notice`` (after
    commit) with its new state. Called by the services, inside their transaction."""
    rows = list(complaints if complaints is not None else case.complaints.select_related("reporter"))
    Complaint.objects.filter(pk__in=[c.pk for c in rows]).update(changed_at=timezone.now())
    for complaint in rows:
        reporter = complaint.reporter
        if reporter is None:  # an authority's referral: answered through the authority's own channel
            continue
        text = pick(reporter.language,
                    zh=f"你的举报 {complaint.number}：{state_text(case, 'zh-hans')}。详情见“我的举报”。",
                    en=f"Your report {complaint.number}: {state_text(case, 'en')}. See My reports.")
        notify_user_on_commit(reporter.pk, text)
