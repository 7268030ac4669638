"""The moderators' workflow: reports about one target grouped in one case, duplicates merged, every step recorded,
reporters told of each change they can see, and a reporter's credit lowered only by a moderator's decision."""

from __future__ import annotations

import pytest

from accounts.models import CreditEvent
from complaints import services
from complaints.feedback import reporter_state
from complaints.models import Case, CaseEvent, Complaint
from complaints.sla import deadlines_for
from groupchat.core.errors import ApplicationError
from tests.factories import UserFactory

from .conftest import CREDIT_DOWN, notices_for

pytestmark = pytest.mark.django_db


def _file(reporter, target, category="PLT-SPAM", **kw):
    return services.complaint_file(reporter=reporter, target=target, category=category, **kw)


@pytest.mark.clause("G12")
def test_many_reports_about_one_target_are_one_case_handled_once(chat, moderator, notices,
                                                                  django_capture_on_commit_callbacks):
    target = f"message:{chat['messages'][1].pk}"
    reporters = [chat["reporter"], chat["owner"], UserFactory()]
    from tests.factories import add_member
    add_member(chat["group"], reporters[2])
    first = _file(reporters[0], target)
    second = _file(reporters[1], target, category="PLT-FRAUD")  # urgent: the case tightens to the hour
    third = _file(reporters[2], target)
    case = Case.objects.get()
    assert {first.case_id, second.case_id, third.case_id} == {case.pk} and case.complaints.count() == 3
    assert case.urgent and case.decide_due == second.decide_due < first.decide_due
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)) == ["filed", "joined", "joined"]

    with django_capture_on_commit_callbacks(execute=True):
        services.case_decide(case=case, moderator=moderator, outcome="violation", reason="冒充客服诈骗", measures=CREDIT_DOWN)
    case.refresh_from_db()
    assert case.status == "decided" and case.triaged_at is not None
    assert all(c.decided_at == case.decided_at for c in Complaint.objects.all())  # decided once, for all three
    for reporter, complaint in zip(reporters, [first, second, third], strict=True):
        texts = notices_for(notices, reporter)
        assert len(texts) == 1 and complaint.number in texts[0] and "确认违规" in texts[0]
    # A report filed after the decision opens a new case.
    late = _file(reporters[0], target)
    assert late.case_id != case.pk


@pytest.mark.clause("G12")
def test_each_step_is_recorded_and_the_reporter_told_when_their_view_changes(chat, moderator, notices,
                                                                           django_capture_on_commit_callbacks):
    complaint = _file(chat["reporter"], f"user:{chat['offender'].pk}")
    case = complaint.case
    assert reporter_state(case) == "received"
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_triage(case=case, moderator=moderator, category="PLT-BULLY")
    assert case.category == "PLT-BULLY" and reporter_state(case) == "handling"
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_assign(case=case, moderator=moderator, assignee=moderator)  # no visible change
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_decide(case=case, moderator=moderator, outcome="no_violation", reason="正常讨论")
    case = services.case_close(case=case, moderator=moderator)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", "actor_id"))
    assert kinds == [("filed", chat["reporter"].pk), ("triaged", moderator.pk), ("assigned", moderator.pk),
                     ("decided", moderator.pk), ("closed", moderator.pk)]
    texts = notices_for(notices, chat["reporter"])
    assert len(texts) == 2 and "处理中" in texts[0] and "未发现违规" in texts[1]
    with pytest.raises(ApplicationError) as err:
        services.case_decide(case=case, moderator=moderator, outcome="violation", reason="again", measures=CREDIT_DOWN)
    assert err.value.code == "case_wrong_state"


def test_a_decision_needs_a_reason_and_a_known_outcome(chat, moderator):
    case = _file(chat["reporter"], f"user:{chat['offender'].pk}").case
    for outcome, reason, code in [("violation", "  ", "decision_reason_required"), ("maybe", "x", "bad_request")]:
        with pytest.raises(ApplicationError) as err:
            services.case_decide(case=case, moderator=moderator, outcome=outcome, reason=reason)
        assert err.value.code == code
    assert Case.objects.get().status == "new"


@pytest.mark.clause("G12")
def test_duplicate_cases_are_merged_and_keep_the_tighter_deadline(chat, moderator):
    on_message = _file(chat["reporter"], f"message:{chat['messages'][1].pk}", category="PLT-FRAUD")
    on_user = _file(chat["owner"], f"user:{chat['offender'].pk}")
    with pytest.raises(ApplicationError):
        services.case_merge(source=on_user.case, into=on_user.case, moderator=moderator)
    kept = services.case_merge(source=on_user.case, into=on_message.case, moderator=moderator)
    merged = Case.objects.get(pk=on_user.case_id)
    assert merged.status == "merged" and merged.merged_into_id == kept.pk
    assert set(kept.complaints.values_list("number", flat=True)) == {on_message.number, on_user.number}
    assert kept.urgent and kept.decide_due == on_message.decide_due
    assert CaseEvent.objects.filter(kind="merged").count() == 2
    # The reporter of the merged case sees the kept case's state and outcome.
    services.case_decide(case=kept, moderator=moderator, outcome="violation", reason="诈骗", measures=CREDIT_DOWN)
    assert reporter_state(Complaint.objects.get(pk=on_user.pk).case) == "handled"
    with pytest.raises(ApplicationError):
        services.case_merge(source=merged, into=kept, moderator=moderator)


def test_triage_with_a_new_category_recomputes_urgency_and_deadlines(chat, moderator):
    case = _file(chat["reporter"], f"user:{chat['offender'].pk}").case
    case = services.case_triage(case=case, moderator=moderator, category="PLT-THREAT")
    assert case.urgent and case.decide_due == deadlines_for(filed_at=case.created_at, urgent=True).decide_due


@pytest.mark.clause("G12")
def test_false_reports_lower_credit_only_by_a_moderators_decision(chat, moderator):
    reporter = chat["reporter"]
    before = reporter.credit_score
    complaints = []
    for _ in range(3):
        target = UserFactory()
        complaint = _file(reporter, f"user:{target.pk}")
        services.case_decide(case=complaint.case, moderator=moderator, outcome="no_violation", reason="无违规")
        complaints.append(complaint)
    reporter.refresh_from_db()
    assert reporter.credit_score == before and not CreditEvent.objects.filter(user=reporter).exists()

    services.complaint_mark_false(complaint=complaints[0], moderator=moderator, reason="恶意举报", penalise=False)
    reporter.refresh_from_db()
    assert reporter.credit_score == before  # found false, but the moderator chose not to penalise
    services.complaint_mark_false(complaint=complaints[1], moderator=moderator, reason="反复恶意举报", penalise=True)
    reporter.refresh_from_db()
    event = CreditEvent.objects.get(user=reporter)
    assert reporter.credit_score == before - 5 and event.operator == moderator
    assert event.reason_code == "false_report" and event.ref == complaints[1].number
    assert Complaint.objects.filter(reporter=reporter, false_report=True).count() == 2

    upheld = _file(reporter, f"user:{chat['offender'].pk}")
    services.case_decide(case=upheld.case, moderator=moderator, outcome="violation", reason="属实", measures=CREDIT_DOWN)
    with pytest.raises(ApplicationError):  # an upheld report is never "false"
        services.complaint_mark_false(complaint=upheld, moderator=moderator, reason="x", penalise=True)


@pytest.mark.clause("G12")
def test_a_violation_takes_measures_through_moderation_linked_to_the_case_and_open_to_appeal(chat, moderator):
    from moderation.appeals import appeal_file
    from moderation.models_measures import Measure

    complaint = _file(chat["reporter"], f"message:{chat['messages'][1].pk}", category="PLT-FRAUD")
    case = complaint.case
    with pytest.raises(ApplicationError) as err:
        services.case_decide(case=case, moderator=moderator, outcome="violation", reason="诈骗")
    assert err.value.code == "decision_measure_required"
    with pytest.raises(ApplicationError):  # a group measure on a user: moderation refuses, nothing is half-done
        services.case_decide(case=case, moderator=moderator, outcome="violation", reason="诈骗",
                             measures=[services.MeasureOrder(kind="credit_down"),
                                       services.MeasureOrder(kind="close", on="user")])
    assert Case.objects.get(pk=case.pk).status == "new" and not Measure.objects.exists()

    before = chat["offender"].credit_score
    case = services.case_decide(case=case, moderator=moderator, outcome="violation", reason="冒充客服诈骗",
                                measures=[services.MeasureOrder(kind="credit_down", credit_points=10)])
    measure = case.measures.get()
    assert measure.target_user == chat["offender"] and measure.source == f"complaint:{case.pk}"
    assert measure.reason_code == "PLT-FRAUD" and measure.operator == moderator
    assert measure.evidence["tickets"] == [{"number": complaint.number, "category": "PLT-FRAUD",
                                            "sha256": complaint.evidence.sha256}]
    chat["offender"].refresh_from_db()
    assert chat["offender"].credit_score == before - 10
    assert CaseEvent.objects.get(case=case, kind="decided").data["measures"] == [measure.pk]
    # The reported user appeals the decision against them through moderation's appeal flow.
    appeal = appeal_file(measure=measure, user=chat["offender"], text="我没有诈骗，那是朋友之间的玩笑话。")
    assert appeal.measure == measure


def test_a_decision_links_a_measure_already_taken_on_the_cases_person(chat, moderator):
    from moderation.measures import measure_issue

    case = _file(chat["reporter"], f"user:{chat['offender'].pk}", category="PLT-BULLY").case
    elsewhere = measure_issue(kind="credit_down", operator=moderator, reason_code="PLT-BULLY",
                              target_user=chat["owner"])
    with pytest.raises(ApplicationError) as err:
        services.case_decide(case=case, moderator=moderator, outcome="violation", reason="辱骂",
                             measure_ids=[elsewhere.pk])
    assert err.value.code == "decision_measure_invalid"
    taken = measure_issue(kind="credit_down", operator=moderator, reason_code="PLT-BULLY",
                          target_user=chat["offender"])
    case = services.case_decide(case=case, moderator=moderator, outcome="violation", reason="辱骂",
                                measure_ids=[taken.pk])
    assert list(case.measures.all()) == [taken]
