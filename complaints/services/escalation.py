"""The SLA sweep: raise open cases nearing and past their deadlines.

Invariants: each (case, stage, level) is raised once (``SlaAlert`` has a unique constraint), so a second run, or
two beats running at once, raise nothing twice; the sweep looks at where each case stands *now*, so after missed
runs it catches up in one pass (a case already overdue is raised as overdue). The badge on the case always shows
its worst current level.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from groupchat.core.broadcast import notify_user_on_commit
from groupchat.core.events import record
from groupchat.core.language import pick

from ..models import OPEN_STATUSES, Case, CaseEvent, DutyShift, Escalation, EventKind, SlaAlert
from ..sla import nearing_at, next_check, stages

_RANK = {Escalation.NONE: 0, Escalation.NEARING: 1, Escalation.OVERDUE: 2}


def level_at(*, created_at: datetime, due_at: datetime, now: datetime) -> str:
    """``overdue`` past the deadline, ``nearing`` within the last ``NEARING_SHARE`` of the window, else ``""``."""
    if now >= due_at:
        return Escalation.OVERDUE
    if now >= nearing_at(created_at=created_at, due_at=due_at):
        return Escalation.NEARING
    return Escalation.NONE


def on_duty_moderators(now: datetime) -> list[User]:
    """The moderators on duty now; when the roster names nobody, everyone who may handle cases (an alert must
    always reach someone)."""
    ids = DutyShift.objects.filter(starts_at__lte=now, ends_at__gt=now).values_list("user_id", flat=True)
    users = list(User.objects.filter(pk__in=ids, is_active=True))
    if users:
        return users
    return list(ModelBackend().with_perm("complaints.handle_case", is_active=True, include_superusers=True))


def _alert_text(case: Case, stage: str, level: str, language: str) -> str:
    stage_zh = "分诊" if stage == "triage" else "处理"
    level_zh = "已超时" if level == Escalation.OVERDUE else "即将超时"
    return pick(language,
                zh=f"举报案件 #{case.pk}（{case.category}）{stage_zh}{level_zh}，请尽快处理。",
                en=f"Complaint case #{case.pk} ({case.category}) is {level} its {stage} deadline; please act.")


@transaction.atomic
def _sweep_case(case_id: int, now: datetime, moderators: list[User]) -> int:
    case = Case.objects.select_for_update().filter(pk=case_id, status__in=OPEN_STATUSES).first()
    if case is None:  # decided meanwhile
        return 0
    raised = 0
    worst = Escalation.NONE
    for stage, due in stages(case):
        level = level_at(created_at=case.created_at, due_at=due, now=now)
        if _RANK[level] > _RANK[worst]:
            worst = level
        if level == Escalation.NONE:
            continue
        _, created = SlaAlert.objects.get_or_create(case=case, stage=stage, level=level,
                                                    defaults={"due_at": due, "created_at": now})
        if not created:
            continue
        raised += 1
        CaseEvent.objects.create(case=case, kind=EventKind.ESCALATED, created_at=now,
                                 data={"stage": stage, "level": level, "due_at": due.isoformat()})
        record("complaint.escalated", actor_id=None, target_id=case.target_user_id,
               data={"case": case.pk, "stage": stage, "level": level})
        for moderator in moderators:
            notify_user_on_commit(moderator.pk, _alert_text(case, stage, level, moderator.language),
                                  level="warning")
    case.escalation, case.next_check_at = worst, next_check(case, after=now)
    case.save(update_fields=["escalation", "next_check_at"])
    return raised


def sla_sweep_run(*, now: datetime | None = None) -> dict[str, int]:
    """Raise every open case nearing or past a deadline, once per stage and level. Only cases whose
    ``next_check_at`` has come are read, and each is rescheduled to its next such moment. Returns counts:
    ``{"checked": cases looked at, "raised": new alerts}``.

    Side effects per new alert: ``SlaAlert`` row, case event ``escalated``, network log ``complaint.escalated``, a
    warning ``notice`` to each moderator on duty; the case's badge set to its worst current level. One transaction
    per case, so a failure on one case loses no other case's alerts.
    """
    now = now or timezone.now()
    moderators = on_duty_moderators(now)
    ids = list(Case.objects.filter(status__in=OPEN_STATUSES, next_check_at__lte=now).values_list("pk", flat=True))
    raised = sum(_sweep_case(pk, now, moderators) for pk in ids)
    return {"checked": len(ids), "raised": raised}
