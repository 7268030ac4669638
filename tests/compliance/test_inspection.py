"""Lawful inspection (G13a): a register, a second officer's approval, a streamed and signed export, recorded
downloads."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts import crypto
from accounts.models import IdentityReveal, IdentitySubmission, SubmissionStatus
from compliance.models import InspectionDownload, InspectionRequest
from compliance.packages import verify_package
from compliance.services.inspection import (
    inspection_export_run,
    inspection_package_download,
    inspection_request_approve,
    inspection_request_create,
    inspection_request_reject,
)
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups.models import Message
from tests.factories import ORIGIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(owner, alice, bob, group, member_of):
    member_of(group, alice)
    member_of(group, bob)
    now = timezone.now()
    rows = []
    for n, sender in enumerate([alice, bob, alice, owner]):
        seq = n + 1000
        rows.append(Message.objects.create(group=group, seq=seq, sender=sender, client_id=f"c{n}",
                                           body=f"第 {n} 条", created_at=now - timedelta(hours=4 - n)))
    IdentitySubmission.objects.create(user=alice, kind="personal", level=2, status=SubmissionStatus.APPROVED,
                                      legal_name_enc=crypto.encrypt("张爱丽"), legal_name_masked="张**",
                                      id_number_enc=crypto.encrypt("11010519491231002X"),
                                      id_number_masked="1****************X", decided_at=now)
    return rows


def _enter(officer, **scope):
    return inspection_request_create(actor=officer, authority="某市公安局网安支队", document_number="公网调〔2026〕88号",
                                     legal_basis="《网络安全法》第二十八条", reason="案件侦办", origin=ORIGIN, **scope)


@pytest.mark.clause("G13a")
def test_no_export_without_a_second_officers_approval(officer, second_officer, alice, chat):
    request = _enter(officer, user_ids=[alice.pk])
    with pytest.raises(ApplicationError) as err:
        inspection_export_run(request_id=request.pk)
    assert err.value.code == "inspection_not_approved"
    with pytest.raises(ApplicationError) as err:
        inspection_request_approve(actor=officer, request_id=request.pk)
    assert err.value.code == "inspection_self_approval"
    with pytest.raises(ApplicationError) as err:
        inspection_package_download(actor=officer, request_id=request.pk)
    assert err.value.code == "package_not_ready"
    request.refresh_from_db()
    assert request.status == "pending" and not request.package_path


@pytest.mark.clause("G13a")
def test_a_rejected_request_is_never_exported(officer, second_officer, alice, chat):
    request = _enter(officer, user_ids=[alice.pk])
    inspection_request_reject(actor=second_officer, request_id=request.pk, note="文书不全")
    with pytest.raises(ApplicationError) as err:
        inspection_export_run(request_id=request.pk)
    assert err.value.code == "inspection_not_approved"
    with pytest.raises(ApplicationError) as err:
        inspection_request_approve(actor=second_officer, request_id=request.pk)
    assert err.value.code == "inspection_not_pending"


def test_only_an_officer_with_the_permission_approves(officer, bob, alice, chat):
    request = _enter(officer, user_ids=[alice.pk])
    with pytest.raises(ApplicationError) as err:
        inspection_request_approve(actor=bob, request_id=request.pk)
    assert err.value.code == "permission_denied"
    with pytest.raises(ApplicationError) as err:
        _enter(bob, user_ids=[alice.pk])
    assert err.value.code == "permission_denied"
    with pytest.raises(ApplicationError) as err:
        _enter(officer)
    assert err.value.code == "inspection_scope_required"


@pytest.mark.clause("G13a")
def test_an_exports_reveals_are_in_the_network_log_like_an_officers(officer, second_officer, alice, chat,
                                                                    django_capture_on_commit_callbacks):
    request = _enter(officer, user_ids=[alice.pk])
    with django_capture_on_commit_callbacks(execute=True):
        inspection_request_approve(actor=second_officer, request_id=request.pk, note="文书齐全")
    reveal = IdentityReveal.objects.get(subject=alice)
    entry = LogEntry.objects.get(kind="identity.reveal")
    assert (entry.actor_id, entry.target_id, entry.data) == (
        second_officer.pk, alice.pk, {"submission": reveal.submission_id, "granted": True})
    # The package holds the log as it stood when the export began, not the export's own reveal record.
    request.refresh_from_db()
    with zipfile.ZipFile(request.package_path) as archive:
        kinds = {row["kind"] for row in json.loads(archive.read("data/network_log.json"))}
    assert "identity.reveal" not in kinds and request.progress_done == request.progress_total


@pytest.mark.clause("G13a")
def test_an_approved_request_exports_the_scope_unmasked_signed_and_recorded(
        officer, second_officer, alice, bob, group, chat, django_capture_on_commit_callbacks):
    request = _enter(officer, user_ids=[alice.pk], group_codes=[group.code])
    with django_capture_on_commit_callbacks(execute=True):  # the export task runs (eagerly) after the commit
        inspection_request_approve(actor=second_officer, request_id=request.pk, note="文书齐全")
    request.refresh_from_db()
    assert request.status == "ready" and request.progress_percent == 100
    assert request.progress_done == request.progress_total > 2

    result = verify_package(request.package_path)
    assert result.ok, result.problems
    with zipfile.ZipFile(request.package_path) as archive:
        messages = json.loads(archive.read("data/messages.json"))
        people = json.loads(archive.read("data/identities.json"))
        log_rows = json.loads(archive.read("data/network_log.json"))
        html = archive.read("document.html").decode()
        pdf = PdfReader(io.BytesIO(archive.read("document.pdf")))
    assert [m["body"] for m in messages] == ["第 0 条", "第 2 条"]  # alice's, in the group: bob's are out of scope
    assert people[0]["legal_name"] == "张爱丽" and people[0]["id_number"] == "11010519491231002X"
    assert log_rows and all(alice.pk in (r["actor_id"], r["target_id"]) and r["group_code"] == group.code
                            for r in log_rows)
    assert "公网调〔2026〕88号" in html
    # The document summarises (row counts, the request); the rows are in data/, so its PDF stays a page or two
    # however many messages an export holds.
    assert "第 0 条" not in html and len(pdf.pages) <= 2
    assert "公网调〔2026〕88号" in "".join(page.extract_text() for page in pdf.pages)
    reveal = IdentityReveal.objects.get(subject=alice)
    assert reveal.actor == second_officer and f"#{request.pk}" in reveal.reason

    path = inspection_package_download(actor=officer, request_id=request.pk, origin=ORIGIN)
    assert str(path) == request.package_path
    download = InspectionDownload.objects.get()
    assert (download.user, download.ip, download.package_sha256) == (officer, ORIGIN.ip, request.package_sha256)
    kinds = list(LogEntry.objects.filter(kind__startswith="compliance.inspection").order_by("id")
                 .values_list("kind", flat=True))
    assert kinds == ["compliance.inspection.enter", "compliance.inspection.approve", "compliance.inspection.export",
                     "compliance.inspection.download"]
    assert inspection_export_run(request_id=request.pk).package_sha256 == request.package_sha256  # idempotent


def test_a_time_range_alone_exports_every_message_in_it(officer, second_officer, chat):
    request = _enter(officer, starts_at=chat[1].created_at, ends_at=chat[3].created_at)
    InspectionRequest.objects.filter(pk=request.pk).update(status="approved", decided_by=second_officer)
    request = inspection_export_run(request_id=request.pk)
    with zipfile.ZipFile(request.package_path) as archive:
        csv_lines = archive.read("data/messages.csv").decode("utf-8-sig").splitlines()
    assert [line.split(",")[5] for line in csv_lines[1:]] == ["第 1 条", "第 2 条"]


def test_an_export_interrupted_midway_is_built_again_when_the_task_comes_back(officer, second_officer, alice, chat):
    request = _enter(officer, user_ids=[alice.pk])
    InspectionRequest.objects.filter(pk=request.pk).update(status="exporting", decided_by=second_officer,
                                                           progress_done=3, progress_total=9)
    request = inspection_export_run(request_id=request.pk)
    assert request.status == "ready" and verify_package(request.package_path).ok
