"""The SLA sweep: cases nearing and past their deadlines are raised once (badge + notice to the moderators on
duty); a second run does nothing twice; a run after missed ones catches up; the Celery task runs the same sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import Case, CaseEvent, DutyShift, SlaAlert
from complaints.selectors import queue_counts
from complaints.tasks import sla_sweep
from groupchat.core.models import LogEntry
from tests.factories import UserFactory

from .conftest import CREDIT_DOWN, notices_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def urgent_case(chat):
    complaint = services.complaint_file(reporter=chat["reporter"], target=f"message:{chat['messages'][1].pk}",
                                        category="PLT-FRAUD")
    return complaint.case  # due within the hour


@pytest.mark.clause("G12")
def test_the_sweep_raises_nearing_then_overdue_once_each(urgent_case, moderator, notices,
                                                         django_capture_on_commit_callbacks):
    start = urgent_case.created_at
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep_run(now=start + timedelta(minutes=10))["raised"] == 0
        assert services.sla_sweep_run(now=start + timedelta(minutes=50))["raised"] == 2  # triage + decide nearing
        assert services.sla_sweep_run(now=start + timedelta(minutes=50))["raised"] == 0  # the same run again
    case = Case.objects.get(pk=urgent_case.pk)
    assert case.escalation == "nearing" and queue_counts().nearing == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep_run(now=start + timedelta(minutes=61))["raised"] == 2
        assert services.sla_sweep_run(now=start + timedelta(minutes=90))["raised"] == 0
    case.refresh_from_db()
    assert case.escalation == "overdue" and queue_counts().overdue == 1
    assert SlaAlert.objects.filter(case=case).count() == 4
    assert CaseEvent.objects.filter(case=case, kind="escalated").count() == 4
    assert LogEntry.objects.filter(kind="complaint.escalated").count() == 4
    texts = notices_for(notices, moderator)
    assert len(texts) == 4 and sum("已超时" in t for t in texts) == 2


@pytest.mark.clause("G12")
def test_after_missed_runs_one_sweep_catches_up_and_a_decision_ends_the_alerts(urgent_case, moderator, notices,
                                                                              django_capture_on_commit_callbacks):
    late = urgent_case.created_at + timedelta(hours=5)  # the beat was down for hours
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep_run(now=late) == {"checked": 1, "raised": 2}
    assert set(SlaAlert.objects.values_list("stage", "level")) == {("triage", "overdue"), ("decide", "overdue")}
    services.case_decide(case=urgent_case, moderator=moderator, outcome="violation", reason="诈骗", measures=CREDIT_DOWN)
    assert Case.objects.get(pk=urgent_case.pk).escalation == ""
    assert services.sla_sweep_run(now=late + timedelta(hours=1)) == {"checked": 0, "raised": 0}


def test_alerts_go_to_the_moderators_on_duty_when_the_roster_names_any(urgent_case, moderator, notices,
                                                                       django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Permission

    on_duty = UserFactory(is_staff=True)
    on_duty.user_permissions.add(Permission.objects.get(codename="handle_case"))
    now = urgent_case.created_at + timedelta(hours=2)
    DutyShift.objects.create(user=on_duty, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=7))
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_sweep_run(now=now)
    assert len(notices_for(notices, on_duty)) == 2 and notices_for(notices, moderator) == []


def test_a_normal_case_is_nearing_only_in_the_last_quarter_of_its_window(chat, moderator):
    case = services.complaint_file(reporter=chat["reporter"], target=f"user:{chat['offender'].pk}",
                                   category="PLT-SPAM").case
    services.case_triage(case=case, moderator=moderator)  # the 24-hour triage stage no longer applies
    window = case.decide_due - case.created_at
    assert services.sla_sweep_run(now=case.created_at + window * 0.7)["raised"] == 0
    assert services.sla_sweep_run(now=case.created_at + window * 0.8)["raised"] == 1
    assert list(SlaAlert.objects.values_list("stage", "level")) == [("decide", "nearing")]


@pytest.mark.clause("G12")
def test_the_celery_task_runs_the_sweep_and_is_idempotent(chat):
    complaint = services.complaint_file(reporter=chat["reporter"], target=f"message:{chat['messages'][1].pk}",
                                        category="PLT-THREAT")
    past = timezone.now() - timedelta(hours=2)  # as if filed three hours ago
    Case.objects.filter(pk=complaint.case_id).update(created_at=past - timedelta(hours=1), triage_due=past,
                                                     decide_due=past, next_check_at=past)
    assert sla_sweep.delay().get() == {"checked": 1, "raised": 2}
    assert sla_sweep.delay().get() == {"checked": 0, "raised": 0}  # nothing left to raise: not even read again


def test_an_urgent_report_joining_a_case_brings_its_tighter_deadline_to_the_sweep(chat):
    first = services.complaint_file(reporter=chat["reporter"], target=f"message:{chat['messages'][1].pk}",
                                    category="PLT-SPAM")  # due in 3 working days
    services.complaint_file(reporter=chat["owner"], target=f"message:{chat['messages'][1].pk}",
                            category="PLT-THREAT")  # joins: the case is now due within the hour
    later = first.created_at + timedelta(minutes=61)
    assert services.sla_sweep_run(now=later)["raised"] == 2
    assert Case.objects.get(pk=first.case_id).escalation == "overdue"
