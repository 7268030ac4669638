"""The report form, the reporter's pages and API, and the public statistics (numbers, page and charts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints import services
from complaints.models import Complaint
from complaints.selectors import complaint_statistics
from tests.factories import UserFactory

from .conftest import CREDIT_DOWN

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.clause("G12")
def test_the_form_opens_with_the_message_preselected_and_one_submit_issues_a_ticket(chat, client):
    reported = chat["messages"][1]
    client.force_login(chat["reporter"])
    page = client.get(f"/report/?target=message:{reported.pk}").content.decode()
    assert "加我微信领红包" in page and "被举报人甲" in page and 'value="PLT-FRAUD"' in page
    assert 'name="evidence"' in page  # further messages of the same group can be added
    response = client.post(f"/report/?target=message:{reported.pk}",
                           {"target": f"message:{reported.pk}", "category": "PLT-FRAUD", "text": "骗钱",
                            "evidence": [str(chat["messages"][3].pk)]})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{complaint.number}/?filed=1"
    ticket = client.get(response["Location"]).content.decode()
    assert complaint.number in ticket and 'id="ticket-number"' in ticket and "已受理" in ticket
    assert {m["role"] for m in complaint.evidence.snapshot["messages"]} >= {"reported", "context"}


def test_a_refused_form_keeps_what_was_typed_and_says_why(chat, client):
    client.force_login(chat["reporter"])
    response = client.post("/report/", {"target": f"user:{chat['offender'].pk}", "text": "我写的说明"})
    body = response.content.decode()
    assert response.status_code == 400 and "请选择列出的举报原因之一" in body and "我写的说明" in body
    assert not Complaint.objects.exists()


def test_visitors_see_the_target_and_a_log_in_link_and_12377(client, chat):
    body = client.get(f"/report/?target=group:{chat['group'].code}").content.decode()
    assert 'id="report-login"' in body and "https://www.12377.cn" in body and "一个群" in body
    response = client.post("/report/", {"target": f"group:{chat['group'].code}", "category": "PLT-SPAM"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Complaint.objects.exists()


@pytest.mark.clause("G12")
def test_the_api_files_lists_and_shows_only_the_reporters_own_tickets(chat, api, moderator):
    client = api(chat["reporter"])
    bad = client.post("/api/v1/complaints/", {"target": f"user:{chat['offender'].pk}", "category": "X"},
                      format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "report_category_invalid"
    created = client.post("/api/v1/complaints/", {"target": f"user:{chat['offender'].pk}", "category": "PLT-BULLY",
                                                  "text": "天天骂人"}, format="json")
    assert created.status_code == 201
    ticket = created.json()
    assert ticket["number"] and ticket["state"] == "received" and ticket["category_name"] == "网络暴力、人身攻击"
    services.case_decide(case=Complaint.objects.get(number=ticket["number"]).case, moderator=moderator,
                         outcome="violation", reason="已警告该用户", measures=CREDIT_DOWN)
    mine = client.get("/api/v1/complaints/").json()
    assert [t["number"] for t in mine] == [ticket["number"]] and mine[0]["updated"]
    assert mine[0]["state"] == "handled" and mine[0]["outcome"] == "violation"
    assert mine[0]["outcome_reason"] == "已警告该用户"
    assert api(chat["owner"]).get(f"/api/v1/complaints/{ticket['number']}/").status_code == 404
    assert api().get("/api/v1/complaints/").status_code in (401, 403)
    reasons = api().get("/api/v1/complaints/reasons/").json()
    assert reasons[0]["urgent"] and {r["code"] for r in reasons} >= {"PLT-FRAUD", "ILL-11"}


@pytest.mark.clause("G12")
def test_the_reporter_sees_their_reports_and_the_outcome_in_plain_words(chat, client, moderator):
    complaint = services.complaint_file(reporter=chat["reporter"], target=f"user:{chat['offender'].pk}",
                                        category="PLT-SPAM")
    client.force_login(chat["reporter"])
    first = client.get("/reports/").content.decode()
    assert "已受理" in first and "report-updated" not in first
    services.case_decide(case=complaint.case, moderator=moderator, outcome="no_violation", reason="未见广告内容")
    body = client.get("/reports/").content.decode()
    assert complaint.number in body and "经核查未发现违规" in body and "未见广告内容" in body
    assert "report-updated" in body  # changed since the last visit: marked once
    assert "report-updated" not in client.get("/reports/").content.decode()


def _filed(reporter, target, category, at: datetime, decided_after: timedelta | None, moderator):
    complaint = services.complaint_file(reporter=reporter, target=target, category=category)
    Complaint.objects.filter(pk=complaint.pk).update(created_at=at, decide_due=at + timedelta(days=3))
    if decided_after is not None:
        Complaint.objects.filter(pk=complaint.pk).update(decided_at=at + decided_after)
    return complaint


@pytest.mark.clause("G12")
def test_statistics_count_per_month_and_category_with_median_p90_and_sla_share(chat, moderator):
    users = [UserFactory() for _ in range(6)]
    oct_, nov = datetime(2026, 10, 31, 23, tzinfo=SH), datetime(2026, 11, 10, 9, tzinfo=SH)
    _filed(users[0], f"user:{users[1].pk}", "PLT-SPAM", oct_, timedelta(hours=2), moderator)
    _filed(users[1], f"user:{users[2].pk}", "PLT-SPAM", nov, timedelta(hours=10), moderator)
    _filed(users[2], f"user:{users[3].pk}", "PLT-FRAUD", nov, timedelta(hours=30), moderator)
    _filed(users[3], f"user:{users[4].pk}", "PLT-FRAUD", nov, timedelta(days=4), moderator)  # past its deadline
    _filed(users[4], f"user:{users[5].pk}", "PLT-FRAUD", nov, None, moderator)  # not decided yet
    figures = complaint_statistics(since=datetime(2026, 10, 1, tzinfo=SH), until=datetime(2026, 12, 1, tzinfo=SH))
    rows = {(r.month.isoformat(), r.category): (r.received, r.handled) for r in figures.rows}
    assert rows == {("2026-10-01", "PLT-SPAM"): (1, 1), ("2026-11-01", "PLT-SPAM"): (1, 1),
                    ("2026-11-01", "PLT-FRAUD"): (3, 2)}  # Oct 31 23:00 in Beijing is October
    assert figures.received == 5 and figures.handled == 4
    assert figures.median_hours == pytest.approx(20.0)  # of 2, 10, 30, 96 hours
    assert figures.p90_hours == pytest.approx(76.2)  # inclusive method: 30 + 0.7 * (96 - 30)
    assert figures.within_sla_share == pytest.approx(0.75)


@pytest.mark.clause("G12")
def test_the_statistics_page_is_public_with_local_svg_charts(client, chat, moderator):
    complaint = services.complaint_file(reporter=chat["reporter"], target=f"user:{chat['offender'].pk}",
                                        category="PLT-SPAM")
    services.case_decide(case=complaint.case, moderator=moderator, outcome="violation", reason="广告", measures=CREDIT_DOWN)
    response = client.get("/reports/statistics/")
    body = response.content.decode()
    assert response.status_code == 200 and '<svg' in body and 'id="stat-received">1<' in body
    assert 'id="stat-sla">100.0%<' in body and "垃圾广告、刷屏" in body
    svg = body[body.index("<svg"):body.rindex("</svg>")]
    assert "<script" not in svg  # drawn on the server; nothing fetched, nothing run
    assert "kozea" not in body and "cdn" not in body.lower()
    data = client.get("/api/v1/complaints/statistics/").json()
    assert data["received"] == 1 and data["handled"] == 1 and data["within_sla_share"] == 1.0
