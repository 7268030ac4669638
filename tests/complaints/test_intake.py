"""Filing a report: a ticket at once, evidence frozen with a SHA-256 that survives recall and removal, screening,
rate limits, and clear refusals that store nothing."""

from __future__ import annotations

import hashlib
import json

import pytest

from complaints import services
from complaints.models import Case, CaseEvent, Complaint, Evidence
from complaints.selectors import evidence_intact
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups import services as group_services
from tests.factories import ORIGIN, UserFactory

from .conftest import say

pytestmark = pytest.mark.django_db


@pytest.mark.clause("G12")
def test_a_report_on_a_message_gets_a_ticket_and_frozen_evidence_with_context(chat):
    reported = chat["messages"][1]
    complaint = services.complaint_file(reporter=chat["reporter"], target=f"message:{reported.pk}",
                                        category="PLT-FRAUD", text="他在群里骗钱", origin=ORIGIN)
    assert complaint.number.startswith("R") and Complaint.objects.get(number=complaint.number) == complaint
    case = complaint.case
    assert case.target_key == f"message:{reported.pk}" and case.target_user == chat["offender"]
    assert case.urgent and complaint.report_type == "fraud"  # fraud in progress: the one-hour queue
    snapshot = complaint.evidence.snapshot
    reported_entry = [m for m in snapshot["messages"] if m["role"] == "reported"]
    assert reported_entry == [{
        "id": reported.pk, "seq": reported.seq, "group": chat["group"].code, "sender_id": chat["offender"].pk,
        "sender_nickname": "被举报人甲", "kind": "text", "body": "加我微信领红包，先转账 100 元",
        "created_at": reported.created_at.isoformat(), "removed": False, "role": "reported"}]
    assert [m["seq"] for m in snapshot["messages"]] == [m.seq for m in chat["messages"]]  # the messages around it
    canonical = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert complaint.evidence.sha256 == hashlib.sha256(canonical).hexdigest()
    assert CaseEvent.objects.filter(case=case, kind="filed").count() == 1
    assert LogEntry.objects.filter(kind="complaint.filed", actor_id=chat["reporter"].pk).count() == 1


@pytest.mark.clause("G12")
def test_evidence_survives_recall_and_removal_of_the_message(chat):
    reported, later = chat["messages"][1], chat["messages"][3]
    complaint = services.complaint_file(reporter=chat["reporter"], target=f"message:{reported.pk}",
                                        category="PLT-FRAUD", evidence_message_ids=[later.pk])
    group_services.message_remove(actor=chat["offender"], group=chat["group"], message_id=reported.pk,
                                  origin=ORIGIN)  # the sender recalls it
    group_services.message_remove(actor=chat["owner"], group=chat["group"], message_id=later.pk, reason="骗钱",
                                  origin=ORIGIN)  # the owner deletes the next one
    evidence = Evidence.objects.get(complaint=complaint)
    bodies = {m["id"]: m["body"] for m in evidence.snapshot["messages"]}
    assert bodies[reported.pk] == "加我微信领红包，先转账 100 元" and bodies[later.pk] == "不转就别想拿到"
    assert evidence_intact(Complaint.objects.get(pk=complaint.pk))
    with pytest.raises(ValueError):
        evidence.save()  # frozen: no update
    with pytest.raises(ValueError):
        evidence.delete()


def test_tampered_evidence_is_detected(chat):
    complaint = services.complaint_file(reporter=chat["reporter"], target=f"message:{chat['messages'][1].pk}",
                                        category="PLT-SPAM")
    snapshot = dict(complaint.evidence.snapshot, messages=[])
    Evidence.objects.filter(pk=complaint.evidence.pk).update(snapshot=snapshot)  # behind the model's back
    assert not evidence_intact(Complaint.objects.get(pk=complaint.pk))


@pytest.mark.clause("G12")
def test_a_non_member_reports_a_group_from_its_public_page_and_anyone_reports_a_user(chat):
    outsider = UserFactory(nickname="路人")
    complaint = services.complaint_file(reporter=outsider, target=f"group:{chat['group'].code}",
                                        category="PLT-GAMBLING")
    assert complaint.case.target_user == chat["owner"] and complaint.evidence.snapshot["group"]["name"] == "举报测试群"
    assert not complaint.urgent
    on_user = services.complaint_file(reporter=outsider, target=f"user:{chat['offender'].pk}", category="PLT-BULLY")
    assert on_user.evidence.snapshot["user"]["nickname"] == "被举报人甲"


@pytest.mark.parametrize("target,kwargs,code", [
    ("message", {}, "report_target_not_found"),  # an outsider cannot see the group's messages
    ("bogus:1", {}, "report_target_invalid"),
    ("user:999999", {}, "report_target_not_found"),
    ("group:0000000000", {}, "report_target_not_found"),
    ("self", {}, "report_self"),
    ("user", {"category": "NOPE"}, "report_category_invalid"),
    ("user", {"text": "长" * 1001}, "report_text_too_long"),
    ("user", {"evidence_message_ids": [10**12]}, "report_evidence_invalid"),
])
def test_bad_reports_are_refused_with_a_clear_code_and_store_nothing(chat, target, kwargs, code):
    outsider = UserFactory()
    reporter = chat["reporter"] if target != "message" else outsider
    targets = {"message": f"message:{chat['messages'][1].pk}", "self": f"user:{reporter.pk}",
               "user": f"user:{chat['offender'].pk}"}
    with pytest.raises(ApplicationError) as err:
        services.complaint_file(reporter=reporter, target=targets.get(target, target),
                                **{"category": "PLT-SPAM", **kwargs})
    assert err.value.code == code
    assert not Complaint.objects.exists() and not Case.objects.exists()


def test_evidence_from_another_group_is_refused(chat):
    other = chat["messages"][0]
    from tests.factories import make_group
    elsewhere = make_group(chat["reporter"], name="别的群")
    foreign = say(chat["reporter"], elsewhere, "别处的消息")
    with pytest.raises(ApplicationError) as err:
        services.complaint_file(reporter=chat["reporter"], target=f"message:{chat['messages'][1].pk}",
                                category="PLT-SPAM", evidence_message_ids=[other.pk, foreign.pk])
    assert err.value.code == "report_evidence_invalid"


@pytest.mark.clause("G12")
@pytest.mark.clause("G10")
def test_the_reporters_text_is_screened_but_a_quote_of_the_reported_content_is_not_refused(chat, rule):
    from moderation.models_screening import BlockedAttempt, FlaggedItem

    rule("刷单返利", "PLT-FRAUD", "block")  # moderation's screening, through its "text.screen" hook
    # A reporter quotes what they report: the report is filed, and the hit is queued for a moderator's review.
    complaint = services.complaint_file(reporter=chat["reporter"], target=f"user:{chat['offender'].pk}",
                                        category="PLT-FRAUD", text="他说可以刷单返利")
    assert Complaint.objects.get() == complaint and complaint.text == "他说可以刷单返利"
    flag = FlaggedItem.objects.get(sender=chat["reporter"])
    assert flag.field == "complaint" and flag.category == "PLT-FRAUD" and flag.body == "他说可以刷单返利"
    assert not BlockedAttempt.objects.filter(sender=chat["reporter"]).exists()  # nothing refused


def test_the_same_reporter_cannot_file_twice_on_one_open_target(chat):
    first = services.complaint_file(reporter=chat["reporter"], target=f"user:{chat['offender'].pk}",
                                    category="PLT-SPAM")
    with pytest.raises(ApplicationError) as err:
        services.complaint_file(reporter=chat["reporter"], target=f"user:{chat['offender'].pk}", category="PLT-SPAM")
    assert err.value.code == "already_reported" and err.value.extra == {"number": first.number}


def test_reports_are_rate_limited_per_user(chat, settings):
    settings.COMPLAINTS = {"REPORT_RATES": ["2/minute"]}
    targets = [UserFactory() for _ in range(3)]
    for target in targets[:2]:
        services.complaint_file(reporter=chat["reporter"], target=f"user:{target.pk}", category="PLT-SPAM")
    with pytest.raises(ApplicationError) as err:
        services.complaint_file(reporter=chat["reporter"], target=f"user:{targets[2].pk}", category="PLT-SPAM")
    assert err.value.code == "report_rate_limited" and err.value.status == 429
    # Someone else is not limited by it.
    services.complaint_file(reporter=chat["owner"], target=f"user:{targets[2].pk}", category="PLT-SPAM")
    assert Complaint.objects.count() == 3


@pytest.mark.clause("G12")
def test_authority_referrals_go_to_the_priority_queue(chat, moderator):
    with pytest.raises(ApplicationError) as err:
        services.complaint_refer(staff=moderator, source="12377", authority_ref=" ", target=f"user:{chat['owner'].pk}",
                                 category="ILL-08")
    assert err.value.code == "referral_reference_required"
    referral = services.complaint_refer(staff=moderator, source="12377", authority_ref="12377-2026-0001",
                                        target=f"message:{chat['messages'][1].pk}", category="ILL-08")
    assert referral.case.priority and referral.reporter is None and referral.entered_by == moderator
    assert CaseEvent.objects.filter(case=referral.case, kind="referred").exists()
