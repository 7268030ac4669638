"""The compliance officer's admin: dashboard as landing panels, holds, seal verification page, inspection requests
with second-officer approval, progress and recorded downloads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import (
    InspectionDownload,
    InspectionRequest,
    LegalHold,
    RegulatorReport,
    SealVerification,
)
from compliance.services.seals import seal_settled
from groupchat.core.models import LogEntry
from tests.factories import UserFactory

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_officers_admin_home_shows_the_compliance_panels_and_the_dashboard(officer, client_for, log_at):
    log_at(NOW - timedelta(days=400))
    home = client_for(officer).get("/admin/").content.decode()
    for key in ("compliance.dashboard", "compliance.inspections", "compliance.holds", "compliance.seals"):
        assert f'data-panel="{key}"' in home
    page = client_for(officer).get(reverse("admin:compliance_dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "网络日志保存" in html and "Network-log retention" in html
    assert "190 天" in html and "法定下限 / legal floor 184" in html
    assert page.context["d"].due_for_purge == 1


def test_staff_without_the_permission_cannot_open_the_dashboard(client_for):
    staff = UserFactory(is_staff=True)
    assert client_for(staff).get(reverse("admin:compliance_dashboard")).status_code == 403


@pytest.mark.clause("G13b")
def test_the_verification_page_runs_and_names_the_first_bad_record(officer, client_for, log_at):
    # The real clock here: the admin requests below write their own log records (logins) at the real time, which
    # must fall after what is sealed.
    now = timezone.now()
    rows = [log_at(now - timedelta(days=2, seconds=s)) for s in (0, 10)]
    seal_settled(now=now)
    client = client_for(officer)
    response = client.post(reverse("admin:compliance_seal_verify"), follow=True)
    assert SealVerification.objects.get().ok
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('groupchat.purge', 'on', true)")
        cursor.execute(f"DELETE FROM {LogEntry._meta.db_table} WHERE id = %s", [rows[0].pk])
        cursor.execute("SELECT set_config('groupchat.purge', 'off', true)")
    response = client.post(reverse("admin:compliance_seal_verify"), follow=True)
    html = response.content.decode()
    assert f"record {rows[0].pk}: removed" in html
    assert client.get(reverse("admin:compliance_dashboard")).context["d"].last_verification.ok is False


@pytest.mark.clause("G13b")
def test_a_hold_is_placed_and_released_from_the_admin(officer, client_for):
    client = client_for(officer)
    response = client.post("/admin/compliance/legalhold/add/", {
        "authority": "某市公安局", "document_number": "保〔2026〕5号", "reason": "侦办", "user_id": "42",
        "group_code": "", "starts_at_0": "", "starts_at_1": "", "ends_at_0": "", "ends_at_1": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    hold = LegalHold.objects.get()
    assert hold.created_by == officer and LogEntry.objects.filter(kind="compliance.hold.create").exists()
    client.post(f"/admin/compliance/legalhold/{hold.pk}/change/", {"release_reason": "案件已结"})
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.released_by == officer


@pytest.mark.clause("G13a")
def test_inspection_from_the_admin_needs_a_second_officer_then_downloads_are_recorded(
        officer, second_officer, alice, client_for, django_capture_on_commit_callbacks):
    client = client_for(officer)
    response = client.post("/admin/compliance/inspectionrequest/add/", {
        "authority": "某市网信办", "document_number": "网信调〔2026〕2号", "legal_basis": "《规定》第十三条",
        "reason": "核查", "users": f"{alice.pk}", "groups": "", "starts_at_0": "", "starts_at_1": "",
        "ends_at_0": "", "ends_at_1": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    request = InspectionRequest.objects.get()
    assert request.entered_by == officer and request.user_ids == [alice.pk]

    changelist = "/admin/compliance/inspectionrequest/"
    page = client.post(changelist, {"action": "approve", "_selected_action": [request.pk]}, follow=True)
    assert "另一名合规专员" in page.content.decode()
    request.refresh_from_db()
    assert request.status == "pending"

    second = client_for(second_officer)
    with django_capture_on_commit_callbacks(execute=True):
        second.post(changelist, {"action": "approve", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.status == "ready"
    listing = second.get(changelist).content.decode()
    assert 'value="100"' in listing and "下载 / download" in listing

    download = second.get(reverse("admin:compliance_inspection_download", args=[request.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"
    assert InspectionDownload.objects.get().user == second_officer
    assert LogEntry.objects.filter(kind="compliance.inspection.download", actor_id=second_officer.pk).exists()


def test_a_download_needs_the_permission(officer, client_for):
    staff = UserFactory(is_staff=True)
    request = InspectionRequest.objects.create(authority="A", document_number="N", reason="R", entered_by=officer,
                                               user_ids=[1], status="ready", package_path="/nonexistent")
    assert client_for(staff).get(
        reverse("admin:compliance_inspection_download", args=[request.pk])).status_code in (302, 403)
    assert not InspectionDownload.objects.exists()


@pytest.mark.clause("G11a")
def test_a_report_is_made_on_demand_and_its_submission_recorded_in_the_admin(officer, client_for):
    client = client_for(officer)
    response = client.post("/admin/compliance/regulatorreport/add/", {
        "period_start_0": "2026-11-01", "period_start_1": "00:00:00",
        "period_end_0": "2026-12-01", "period_end_1": "00:00:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    report = RegulatorReport.objects.get()
    assert report.status == "ready" and report.created_by == officer
    dashboard = client.get(reverse("admin:compliance_dashboard")).content.decode()
    assert "待报送的报告" in dashboard
    download = client.get(reverse("admin:compliance_report_download", args=[report.pk]))
    assert b"".join(download.streaming_content)[:2] == b"PK"
    client.post(f"/admin/compliance/regulatorreport/{report.pk}/change/", {"submission_reference": "网信报〔2026〕9"})
    report.refresh_from_db()
    assert report.submitted_by == officer and report.submission_reference == "网信报〔2026〕9"
    assert LogEntry.objects.filter(kind="compliance.report.download", actor_id=officer.pk).exists()
