"""The moderators' complaint desk in the admin: queue counts and SLA badges on the home page, the case page with the
frozen evidence, the workflow buttons (through the services), referrals and merging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from accounts.roles import MODERATOR, roles_ensure
from complaints import services
from complaints.models import Case, CaseEvent, Complaint
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client):
    """A moderator by role (the permissions complaints registers for the moderator role), logged in."""
    roles_ensure()
    user = UserFactory(nickname="值班审核员", is_staff=True)
    user.groups.add(Group.objects.get(name=MODERATOR))
    client.force_login(user)
    return user


@pytest.mark.clause("G12")
def test_the_home_shows_queue_counts_and_the_list_shows_sla_badges(chat, desk, client):
    urgent = services.complaint_file(reporter=chat["reporter"], target=f"message:{chat['messages'][1].pk}",
                                     category="PLT-FRAUD")
    services.complaint_file(reporter=chat["reporter"], target=f"user:{chat['owner'].pk}", category="PLT-SPAM")
    services.complaint_refer(staff=desk, source="cac", authority_ref="CAC-1", target=f"group:{chat['group'].code}",
                             category="ILL-08")
    services.sla_sweep_run(now=urgent.created_at + timedelta(hours=2))
    home = client.get("/admin/").content.decode()
    for key, count in [("complaints-open", 3), ("complaints-priority", 1), ("complaints-urgent", 1),
                       ("complaints-overdue", 1)]:
        block = home[home.index(f'data-panel="{key}"'):]
        assert f">{count}</span>" in block[:block.index("</li>")]
    listing = client.get("/admin/complaints/case/?status__in=new,triaged,assigned").content.decode()
    assert "sla-overdue" in listing and f"message:{chat['messages'][1].pk}" in listing


@pytest.mark.clause("G12")
def test_a_moderator_works_a_case_from_its_page(chat, desk, client):
    complaint = services.complaint_file(reporter=chat["reporter"], target=f"message:{chat['messages'][1].pk}",
                                        category="PLT-FRAUD", text="骗子")
    case = complaint.case
    page = client.get(f"/admin/complaints/case/{case.pk}/change/").content.decode()
    assert complaint.number in page and "加我微信领红包" in page and "✔ intact" in page and 'id="step-decide"' in page
    step = f"/admin/complaints/case/{case.pk}/step/"
    client.post(step, {"step": "triage"})
    client.post(step, {"step": "assign"})
    refused = client.post(step, {"step": "decide", "outcome": "violation", "reason": "诈骗"}, follow=True)
    assert "须至少" in refused.content.decode() and Case.objects.get(pk=case.pk).status == "assigned"
    client.post(step, {"step": "decide", "outcome": "violation", "reason": "冒充客服诈骗",
                       "measure_kind_1": "credit_down", "measure_on_1": "user", "measure_points_1": "5"})
    case.refresh_from_db()
    assert case.status == "decided" and case.measures.count() == 1 and case.decided_by == desk
    client.post(step, {"step": "close"})
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)) == [
        "filed", "triaged", "assigned", "decided", "closed"]


def test_referrals_are_entered_on_their_own_page_and_cases_merged_by_action(chat, desk, client):
    response = client.post("/admin/complaints/case/refer/", {
        "source": "12377", "authority_ref": "12377-88", "target": f"user:{chat['offender'].pk}",
        "category": "PLT-FRAUD", "text": "转办", "evidence": ""})
    referral = Complaint.objects.get(authority_ref="12377-88")
    assert response.status_code == 302 and referral.case.priority and referral.entered_by == desk
    other = services.complaint_file(reporter=chat["reporter"], target=f"message:{chat['messages'][1].pk}",
                                    category="PLT-FRAUD")
    client.post("/admin/complaints/case/", {"action": "merge_into_oldest",
                                            "_selected_action": [referral.case_id, other.case_id]})
    assert Case.objects.get(pk=other.case_id).merged_into_id == referral.case_id


def test_people_without_the_case_permission_cannot_act(chat, client):
    complaint = services.complaint_file(reporter=chat["reporter"], target=f"user:{chat['offender'].pk}",
                                        category="PLT-SPAM")
    client.force_login(UserFactory(is_staff=True))
    response = client.post(f"/admin/complaints/case/{complaint.case_id}/step/", {"step": "triage"})
    assert response.status_code == 403 and Case.objects.get().status == "new"


def test_the_tickets_holidays_and_duty_roster_pages_open_for_a_moderator(chat, desk, client):
    complaint = services.complaint_file(reporter=chat["reporter"], target=f"user:{chat['offender'].pk}",
                                        category="PLT-FRAUD")
    listing = client.get("/admin/complaints/complaint/")
    assert listing.status_code == 200 and complaint.number in listing.content.decode()
    for path in ("/admin/complaints/holiday/", "/admin/complaints/holiday/add/", "/admin/complaints/dutyshift/",
                 "/admin/complaints/case/refer/"):
        assert client.get(path).status_code == 200, path
