"""Lawful inspection (G13a): a register of authorities' requests, a second officer's approval, and the export.

Scope: every dimension given narrows it (users AND groups AND time range), so an export holds no more than the
document asks for (PIPL, least necessary). The export streams: rows go one by one to temporary files, which are
then copied into the signed package; the request keeps its progress. Only an approved request is exported; the
export, and every download, is recorded (model rows and network-log records).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.identity import identity_unmask
from accounts.models import IdentitySubmission, SubmissionStatus, User
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.models import LogEntry
from groupchat.core.origin import Origin
from groups.models import Message

from ..canonical import log_columns
from ..models import HeldLogEntry, InspectionDownload, InspectionRequest, InspectionStatus
from ..packages import PackageWriter, Section, dumps, package_path
from .building import package_building, package_file_record
from .permissions import require_perm

PROGRESS_EVERY = 5000  # rows between progress updates: often enough for the admin's bar, rare enough to cost nothing


@transaction.atomic
def inspection_request_create(*, actor: User, authority: str, document_number: str, reason: str,
                              legal_basis: str = "", user_ids: Iterable[int] = (), group_codes: Iterable[str] = (),
                              starts_at: datetime | None = None, ends_at: datetime | None = None,
                              origin: Origin | None = None) -> InspectionRequest:
    """Enter a request in the register. Needs ``compliance.add_inspectionrequest``, authority, document number and
    reason, and a scope. Side effects: network-log record ``compliance.inspection.enter``."""
    require_perm(actor, "compliance.add_inspectionrequest")
    authority, document_number, reason = authority.strip(), document_number.strip(), reason.strip()
    if not (authority and document_number and reason):
        raise ApplicationError("hold_authority_required")
    users = sorted({int(u) for u in user_ids})
    groups = sorted({str(g).strip() for g in group_codes if str(g).strip()})
    if not users and not groups and starts_at is None and ends_at is None:
        raise ApplicationError("inspection_scope_required")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ApplicationError("bad_time_range")
    request = InspectionRequest.objects.create(
        authority=authority[:200], document_number=document_number[:100], legal_basis=legal_basis.strip()[:300],
        reason=reason, user_ids=users, group_codes=groups, starts_at=starts_at, ends_at=ends_at, entered_by=actor)
    record("compliance.inspection.enter", actor_id=actor.pk, origin=origin,
           data={"request": request.pk, "authority": request.authority, "document_number": request.document_number})
    return request


def _decide(*, actor: User, request_id: int, approve: bool, note: str, origin: Origin | None) -> InspectionRequest:
    require_perm(actor, "compliance.approve_inspectionrequest")
    request = InspectionRequest.objects.select_for_update().get(pk=request_id)
    if request.status != InspectionStatus.PENDING:
        raise ApplicationError("inspection_not_pending")
    if request.entered_by_id == actor.pk:
        raise ApplicationError("inspection_self_approval")
    request.status = InspectionStatus.APPROVED if approve else InspectionStatus.REJECTED
    request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    record("compliance.inspection.approve" if approve else "compliance.inspection.reject", actor_id=actor.pk,
           origin=origin, data={"request": request.pk, "entered_by": request.entered_by_id})
    return request


@transaction.atomic
def inspection_request_approve(*, actor: User, request_id: int, note: str = "",
                               origin: Origin | None = None) -> InspectionRequest:
    """A second compliance officer (never the one who entered it) approves a pending request.

    Side effects: network-log record ``compliance.inspection.approve``; the export task is queued after commit.
    """
    from ..tasks import inspection_export

    request = _decide(actor=actor, request_id=request_id, approve=True, note=note, origin=origin)
    inspection_export.delay_on_commit(request.pk)
    return request


@transaction.atomic
def inspection_request_reject(*, actor: User, request_id: int, note: str = "",
                              origin: Origin | None = None) -> InspectionRequest:
    """A second officer rejects a pending request. Side effects: network-log record ``compliance.inspection.reject``."""
    return _decide(actor=actor, request_id=request_id, approve=False, note=note, origin=origin)


# --- the export --------------------------------------------------------------------------------------------------
def _time_q(request: InspectionRequest, field: str = "created_at") -> Q:
    q = Q()
    if request.starts_at is not None:
        q &= Q(**{f"{field}__gte": request.starts_at})
    if request.ends_at is not None:
        q &= Q(**{f"{field}__lt": request.ends_at})
    return q


def _messages(request: InspectionRequest) -> QuerySet:
    qs = Message.objects.filter(_time_q(request))
    if request.user_ids:
        qs = qs.filter(sender_id__in=request.user_ids)
    if request.group_codes:
        qs = qs.filter(group__code__in=request.group_codes)
    return qs


def _log_scope(request: InspectionRequest) -> Q:
    q = _time_q(request)
    if request.user_ids:
        q &= Q(actor_id__in=request.user_ids) | Q(target_id__in=request.user_ids)
    if request.group_codes:
        q &= Q(group_code__in=request.group_codes)
    return q


# content_cleared_at: the body is empty because a removed message's text went after the retention period.
MESSAGE_COLUMNS = ["id", "group_code", "seq", "sender_id", "kind", "body", "created_at", "removed_at",
                   "removed_reason", "content_cleared_at"]


class _TwinWriter:
    """One pass over the rows, written to a CSV and a JSON-array temporary file at once."""

    def __init__(self, folder: Path, name: str, columns: list[str]) -> None:
        self.columns = columns
        self.csv_path, self.json_path = folder / f"{name}.csv", folder / f"{name}.json"
        self._csv_file = open(self.csv_path, "w", encoding="utf-8", newline="")
        self._csv_file.write("\ufeff")
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(columns)
        self._json = open(self.json_path, "wb")
        self._json.write(b"[")
        self.count = 0

    def write(self, values: tuple) -> None:
        self._csv.writerow(["" if v is None else (dumps(v).decode() if isinstance(v, (dict, list)) else v)
                            for v in values])
        self._json.write(b"\n" if self.count == 0 else b",\n")
        self._json.write(dumps(dict(zip(self.columns, values, strict=True))))
        self.count += 1

    def close(self) -> None:
        self._csv_file.close()
        self._json.write(b"\n]\n")
        self._json.close()


def _copy_in(writer: PackageWriter, source: Path, name: str) -> None:
    with open(source, "rb") as src, writer.open_binary(name) as out:
        shutil.copyfileobj(src, out, 1 << 20)


def _stream(rows: Iterable[tuple], twin: _TwinWriter, tick: Callable[[int], None]) -> None:
    for values in rows:
        twin.write(values)
        if twin.count % PROGRESS_EVERY == 0:
            tick(PROGRESS_EVERY)
    tick(twin.count % PROGRESS_EVERY)


def _identities(request: InspectionRequest, reveal_actor: User) -> list[dict[str, Any]]:
    """The unmasked identity of every user in scope; each reveal recorded as the vault requires (``identity_unmask``:
    an IdentityReveal row and an ``identity.reveal`` record), the approved request being the authority."""
    people = []
    reason = f"lawful inspection #{request.pk}: {request.authority} {request.document_number}"
    for user in User.objects.filter(pk__in=request.user_ids).order_by("pk"):
        submission = (IdentitySubmission.objects.filter(user=user, status=SubmissionStatus.APPROVED)
                      .order_by("-decided_at", "-pk").first())
        row: dict[str, Any] = {"user_id": user.pk, "username": user.username, "nickname": user.nickname,
                               "phone": user.phone or "", "verification_level": user.verification_level,
                               "date_joined": user.date_joined.isoformat(), "legal_name": "", "id_number": "",
                               "org_name": "", "uscc": "", "method": ""}
        if submission is not None:
            row.update(method=submission.kind, org_name=submission.org_name, uscc=submission.uscc,
                       **identity_unmask(actor=reveal_actor, submission=submission, reason=reason))
        people.append(row)
    return people


def inspection_export_run(*, request_id: int) -> InspectionRequest:
    """Build the signed package of an approved request. Idempotent: a request already exported is returned as is.

    Side effects: the package file; ``progress_done``/``progress_total`` as it goes; an ``IdentityReveal`` row and an
    ``identity.reveal`` record per user in scope; network-log record ``compliance.inspection.export``. A failure
    marks the request failed with the error (an officer can re-approve a failed export by running it again).
    """
    with transaction.atomic():
        request = InspectionRequest.objects.select_for_update().get(pk=request_id)
        if request.status == InspectionStatus.READY:
            return request
        # EXPORTING too: a worker that died mid-export leaves it so, and the task is delivered again (acks_late).
        if request.status not in (InspectionStatus.APPROVED, InspectionStatus.EXPORTING, InspectionStatus.FAILED):
            raise ApplicationError("inspection_not_approved")
        messages, log_q = _messages(request), _log_scope(request)
        # The log as it stood when the export began: not the export's own identity.reveal records written below.
        last = LogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        log_rows = LogEntry.objects.filter(log_q, id__lte=last)
        request.status, request.progress_done, request.error = InspectionStatus.EXPORTING, 0, ""
        request.progress_total = (messages.count() + log_rows.count()
                                  + HeldLogEntry.objects.filter(log_q).count())
        request.save(update_fields=["status", "progress_done", "progress_total", "error"])

    def tick(n: int) -> None:
        if n:
            InspectionRequest.objects.filter(pk=request.pk).update(progress_done=F("progress_done") + n)

    path = package_path("inspection", request.pk)
    writer = PackageWriter(path, kind="inspection", title_zh="依法调取数据包", title_en="Lawful inspection package",
                           meta={"request": request.pk, "authority": request.authority,
                                 "document_number": request.document_number, "legal_basis": request.legal_basis,
                                 "approved_by": request.decided_by_id, "entered_by": request.entered_by_id})
    with package_building(writer, row=InspectionRequest.objects.filter(pk=request.pk), failed=InspectionStatus.FAILED):
        with tempfile.TemporaryDirectory(prefix="inspection-") as folder:
            folder_path = Path(folder)
            people = _identities(request, request.decided_by)
            writer.write_json("data/identities.json", people)
            writer.write_csv("data/identities.csv", list(people[0]) if people else ["user_id"],
                             ([*p.values()] for p in people))
            twin = _TwinWriter(folder_path, "messages", MESSAGE_COLUMNS)
            _stream(_messages(request).order_by("id").values_list(
                "id", "group__code", "seq", "sender_id", "kind", "body", "created_at", "removed_at",
                "removed_reason", "content_cleared_at").iterator(chunk_size=2000), twin, tick)
            twin.close()
            columns = log_columns()
            logs = _TwinWriter(folder_path, "network_log", columns)
            _stream(log_rows.order_by("id").values_list(*columns).iterator(chunk_size=2000),
                    logs, tick)
            logs.close()
            held = _TwinWriter(folder_path, "network_log_held", ["log_id", "canonical"])
            _stream(HeldLogEntry.objects.filter(log_q).order_by("log_id").values_list("log_id", "canonical")
                    .iterator(chunk_size=2000), held, tick)
            held.close()
            for twin_file in (twin, logs, held):
                for source in (twin_file.csv_path, twin_file.json_path):
                    _copy_in(writer, source, f"data/{source.name}")
            writer.add_section(Section(
                "请求", "Request",
                headers=["项目 / Item", "内容 / Value"],
                rows=[["机关 / Authority", request.authority], ["文书编号 / Document", request.document_number],
                      ["法律依据 / Legal basis", request.legal_basis], ["事由 / Reason", request.reason],
                      ["用户 / Users", ", ".join(map(str, request.user_ids))],
                      ["群组 / Groups", ", ".join(request.group_codes)],
                      ["起 / From", request.starts_at], ["止 / Until", request.ends_at],
                      ["录入 / Entered by", request.entered_by_id], ["批准 / Approved by", request.decided_by_id],
                      ["批准时间 / Approved at", request.decided_at]]))
            writer.add_section(Section(
                "内容", "Contents", headers=["数据 / Data", "条数 / Rows", "文件 / Files"],
                rows=[["身份信息（未遮蔽）/ Identities (unmasked)", len(people), "data/identities.csv, .json"],
                      ["群组消息 / Messages", twin.count, "data/messages.csv, .json"],
                      ["网络日志 / Network log", logs.count, "data/network_log.csv, .json"],
                      ["保全日志 / Held log records", held.count, "data/network_log_held.csv, .json"]],
                note="范围内各条件同时适用（用户且群组且时间）。/ Every scope given applies together "
                     "(users and groups and time range)."))
    with transaction.atomic():
        request.refresh_from_db()
        request.status, request.exported_at = InspectionStatus.READY, timezone.now()
        request.progress_done = request.progress_total
        request.save(update_fields=["status", "exported_at", "progress_done", *package_file_record(request, path)])
        record("compliance.inspection.export", actor_id=request.decided_by_id,
               data={"request": request.pk, "sha256": request.package_sha256, "bytes": request.package_size,
                     "messages": twin.count, "log_records": logs.count + held.count, "identities": len(people)})
    return request


@transaction.atomic
def inspection_package_download(*, actor: User, request_id: int, origin: Origin | None = None) -> Path:
    """Record a download of a ready package and return its path. Needs ``compliance.download_inspectionpackage``.

    Side effects: an ``InspectionDownload`` row and a network-log record ``compliance.inspection.download``.
    """
    require_perm(actor, "compliance.download_inspectionpackage")
    request = InspectionRequest.objects.get(pk=request_id)
    if request.status != InspectionStatus.READY or not request.package_path:
        raise ApplicationError("package_not_ready")
    InspectionDownload.objects.create(request=request, user=actor, ip=origin.ip if origin else None,
                                      package_sha256=request.package_sha256)
    record("compliance.inspection.download", actor_id=actor.pk, origin=origin,
           data={"request": request.pk, "sha256": request.package_sha256})
    return Path(request.package_path)
