"""The compliance officer's admin: legal holds, retention runs, held records, seals and their verification, lawful
inspection requests with approval and download, and the compliance dashboard (the officer's landing page).

Records are written by services only: the add forms call them, the rest is read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from groupchat.core.admin_base import NoAddDeleteAdmin, ReadOnlyAdmin
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.filing import FilingAlertMixin
from groupchat.core.origin import Origin

from . import selectors
from .models import (
    FilingPackage,
    FilingRecord,
    HeldLogEntry,
    InspectionDownload,
    InspectionRequest,
    LegalHold,
    RegulatorReport,
    ReportStatus,
    RetentionRun,
    Seal,
    SealVerification,
)
from .services import filing as filing_services
from .services import holds as hold_services
from .services import inspection as inspection_services
from .services import reports as report_services
from .tasks import seals_verify as seals_verify_task


def _origin(request: HttpRequest) -> Origin:
    return Origin.from_request(request)


def _refusal(request: HttpRequest, err: ApplicationError, prefix: str = "") -> None:
    messages.error(request, f"{prefix}{err.detail('zh-hans')} / {err.detail('en')}")


class _ServiceAddAdmin(NoAddDeleteAdmin):
    """Never deleted; added (with ``add_form``, by the model's add permission) through a service in ``save_model``,
    which leaves ``obj.pk`` unset when the service refuses, so the officer stays on the add page with the message."""

    add_form: type[forms.ModelForm]
    has_add_permission = admin.ModelAdmin.has_add_permission

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)


def _progress_bar(obj) -> str:
    """A background export's progress (``progress_done`` of ``progress_total``, ``progress_percent``)."""
    return format_html('<progress max="100" value="{}" title="{} / {}"></progress> {}%', obj.progress_percent,
                       obj.progress_done, obj.progress_total, obj.progress_percent)


def _download_link(obj, *, url_name: str) -> str:
    if not obj.ready:
        return "—"
    return format_html('<a href="{}">下载 / download</a> <code>{}</code>', reverse(url_name, args=[obj.pk]),
                       obj.package_sha256[:16])


def _package_response(request: HttpRequest, download: Callable[[], Path], *, back: str):
    """A package download through its service (which records it): the file, or back to the list with the refusal."""
    try:
        package = download()
    except ApplicationError as err:
        if err.code == "permission_denied":
            raise PermissionDenied from err
        _refusal(request, err)
        return HttpResponseRedirect(reverse(back))
    return FileResponse(open(package, "rb"), as_attachment=True, filename=package.name)


# --- legal holds -------------------------------------------------------------------------------------------------
class LegalHoldForm(forms.ModelForm):
    class Meta:
        model = LegalHold
        fields = ["authority", "document_number", "reason", "user_id", "group_code", "starts_at", "ends_at"]
        help_texts = {"user_id": "按用户保全 / hold by user (as actor or target)",
                      "group_code": "按群号保全 / hold by group code",
                      "starts_at": "按时间范围保全（起）/ hold a time range (from)",
                      "ends_at": "按时间范围保全（止）/ (until)"}


@admin.register(LegalHold)
class LegalHoldAdmin(_ServiceAddAdmin):
    """Placing a hold calls ``legal_hold_create``; releasing it: type a release reason on the hold and save."""

    add_form = LegalHoldForm

    list_display = ("id", "authority", "document_number", "user_id", "group_code", "starts_at", "ends_at",
                    "created_at", "released_at", "held_count")
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    search_fields = ("authority", "document_number", "group_code", "=user_id")

    def get_fields(self, request, obj=None):
        if obj is None:
            return LegalHoldForm.Meta.fields
        return ["authority", "document_number", "reason", "user_id", "group_code", "starts_at", "ends_at",
                "created_by", "created_at", "released_at", "released_by", "release_reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = self.get_fields(request, obj)
        return [f for f in fields if f != "release_reason" or obj.released_at is not None]

    @admin.display(description="保全记录数 / held records")
    def held_count(self, obj):
        return obj.held_total

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(held_total=Count("held_entries"))

    def save_model(self, request, obj, form, change):
        try:
            if not change:
                created = hold_services.legal_hold_create(
                    actor=request.user, authority=obj.authority, document_number=obj.document_number,
                    reason=obj.reason, user_id=obj.user_id, group_code=obj.group_code, starts_at=obj.starts_at,
                    ends_at=obj.ends_at, origin=_origin(request))
                obj.pk = created.pk
            elif obj.release_reason and obj.released_at is None:
                hold_services.legal_hold_release(actor=request.user, hold_id=obj.pk, reason=obj.release_reason,
                                                 origin=_origin(request))
        except ApplicationError as err:
            _refusal(request, err)


# --- retention, held records, seals ------------------------------------------------------------------------------
@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "status", "cutoff", "retention_days", "purged", "moved_to_hold",
                    "held_copies_released")
    list_filter = ("status",)

    def get_urls(self):
        return [path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="compliance_dashboard"),
                *super().get_urls()]

    def dashboard_view(self, request):
        if not request.user.has_perm("compliance.view_retentionrun"):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "title": "合规总览 / Compliance dashboard",
                   "d": selectors.dashboard()}
        return TemplateResponse(request, "compliance/dashboard.html", context)


@admin.register(HeldLogEntry)
class HeldLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("log_id", "created_at", "kind", "actor_id", "target_id", "group_code", "ip", "moved_at")
    search_fields = ("=log_id", "=actor_id", "=target_id", "group_code", "ip")
    list_filter = ("kind",)
    date_hierarchy = "created_at"
    readonly_fields = ("log_id", "created_at", "kind", "actor_id", "target_id", "group_code", "ip", "columns",
                       "canonical", "holds", "run", "moved_at")


@admin.register(Seal)
class SealAdmin(ReadOnlyAdmin):
    list_display = ("seq", "slice_start", "slice_end", "count", "first_id", "last_id", "short_hash", "key_id")
    date_hierarchy = "slice_start"
    exclude = ("ids", "digests")
    readonly_fields = ("seq", "slice_start", "slice_end", "count", "first_id", "last_id", "columns", "rows_hash",
                       "prev_hash", "hash", "signature", "key_id", "sealed_at")

    @admin.display(description="hash")
    def short_hash(self, obj):
        return obj.hash[:16]

    def get_urls(self):
        return [path("verify/", self.admin_site.admin_view(self.verify_view), name="compliance_seal_verify"),
                *super().get_urls()]

    def verify_view(self, request):
        """The verification page: the latest outcomes, and a button that verifies the whole chain now."""
        if not request.user.has_perm("compliance.view_seal"):
            raise PermissionDenied
        if request.method == "POST":
            if not request.user.has_perm("compliance.verify_seals"):
                raise PermissionDenied
            # A whole log takes a while to verify: it runs as a task (inline in embedded mode) and lands below.
            seals_verify_task.delay(request.user.pk)
            messages.info(request, "校验已开始，结果见下表 / verification started; the outcome appears below")
            return HttpResponseRedirect(reverse("admin:compliance_seal_verify"))
        context = {**self.admin_site.each_context(request), "title": "日志封存校验 / Network-log seal verification",
                   "runs": SealVerification.objects.order_by("-started_at")[:20],
                   "can_verify": request.user.has_perm("compliance.verify_seals"),
                   "seals": Seal.objects.count()}
        return TemplateResponse(request, "compliance/seal_verify.html", context)


@admin.register(SealVerification)
class SealVerificationAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "ok", "seals", "records", "purged_seals", "unsealed_records", "first_problem")
    list_filter = ("ok",)


# --- lawful inspection -------------------------------------------------------------------------------------------
class InspectionRequestForm(forms.ModelForm):
    users = forms.CharField(required=False, label="用户 ID / user ids", help_text="逗号分隔 / comma-separated")
    groups = forms.CharField(required=False, label="群号 / group codes", help_text="逗号分隔 / comma-separated")

    class Meta:
        model = InspectionRequest
        fields = ["authority", "document_number", "legal_basis", "reason", "starts_at", "ends_at"]

    def clean_users(self):
        raw = [u.strip() for u in self.cleaned_data["users"].replace("，", ",").split(",") if u.strip()]
        if not all(u.isdigit() for u in raw):
            raise forms.ValidationError("用户 ID 须为数字 / user ids are numbers")
        return [int(u) for u in raw]

    def clean_groups(self):
        return [g.strip() for g in self.cleaned_data["groups"].replace("，", ",").split(",") if g.strip()]


@admin.register(InspectionRequest)
class InspectionRequestAdmin(_ServiceAddAdmin):
    """Entered by one officer; approved (action) by another; the export runs in the background; download here."""

    add_form = InspectionRequestForm

    list_display = ("id", "authority", "document_number", "status", "entered_by", "decided_by", "progress",
                    "download")
    list_filter = ("status",)
    search_fields = ("authority", "document_number")
    actions = ["approve", "reject"]
    readonly_fields = ("authority", "document_number", "legal_basis", "reason", "user_ids", "group_codes",
                       "starts_at", "ends_at", "status", "entered_by", "entered_at", "decided_by", "decided_at",
                       "decision_note", "progress", "package_sha256", "package_size", "exported_at", "error",
                       "download")

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*InspectionRequestForm.Meta.fields, "users", "groups"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    @admin.display(description="进度 / progress")
    def progress(self, obj):
        return _progress_bar(obj)

    @admin.display(description="数据包 / package")
    def download(self, obj):
        return _download_link(obj, url_name="admin:compliance_inspection_download")

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            created = inspection_services.inspection_request_create(
                actor=request.user, authority=obj.authority, document_number=obj.document_number,
                legal_basis=obj.legal_basis, reason=obj.reason, user_ids=form.cleaned_data.get("users", []),
                group_codes=form.cleaned_data.get("groups", []), starts_at=obj.starts_at, ends_at=obj.ends_at,
                origin=_origin(request))
            obj.pk = created.pk
        except ApplicationError as err:
            _refusal(request, err)

    def _decide(self, request, queryset, service, done: str):
        for item in queryset:
            try:
                service(actor=request.user, request_id=item.pk, origin=_origin(request))
                messages.success(request, f"#{item.pk} {done}")
            except ApplicationError as err:
                _refusal(request, err, prefix=f"#{item.pk}: ")

    @admin.action(description="批准（须为另一名合规专员）/ Approve (a second officer)")
    def approve(self, request, queryset):
        self._decide(request, queryset, inspection_services.inspection_request_approve,
                     "已批准，正在导出 / approved, exporting")

    @admin.action(description="驳回 / Reject")
    def reject(self, request, queryset):
        self._decide(request, queryset, inspection_services.inspection_request_reject, "已驳回 / rejected")

    def get_urls(self):
        return [path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                     name="compliance_inspection_download"), *super().get_urls()]

    def download_view(self, request, pk: int):
        return _package_response(request, lambda: inspection_services.inspection_package_download(
            actor=request.user, request_id=pk, origin=_origin(request)),
            back="admin:compliance_inspectionrequest_changelist")


@admin.register(InspectionDownload)
class InspectionDownloadAdmin(ReadOnlyAdmin):
    list_display = ("at", "request", "user", "ip", "package_sha256")


# --- regulator reports -------------------------------------------------------------------------------------------
class RegulatorReportForm(forms.ModelForm):
    class Meta:
        model = RegulatorReport
        fields = ["period_start", "period_end"]


@admin.register(RegulatorReport)
class RegulatorReportAdmin(_ServiceAddAdmin):
    """Monthly reports come from the beat; an officer may make one on demand (add) and records its submission by
    typing the submission reference on the report and saving."""

    add_form = RegulatorReportForm

    list_display = ("id", "kind", "period_start", "period_end", "status", "measures_count", "submitted_at",
                    "submission_reference", "download")
    list_filter = ("kind", "status", ("submitted_at", admin.EmptyFieldListFilter))
    readonly_fields = ("kind", "period_start", "period_end", "status", "created_at", "created_by", "measures_count",
                       "package_sha256", "package_size", "error", "submitted_at", "submitted_by", "download")

    def get_fields(self, request, obj=None):
        return RegulatorReportForm.Meta.fields if obj is None else [*self.readonly_fields, "submission_reference"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self.readonly_fields if obj.submitted_at is None else (*self.readonly_fields, "submission_reference")

    @admin.display(description="数据包 / package")
    def download(self, obj):
        return _download_link(obj, url_name="admin:compliance_report_download")

    def save_model(self, request, obj, form, change):
        try:
            if not change:
                obj.pk = report_services.regulator_report_create(
                    period_start=obj.period_start, period_end=obj.period_end, actor=request.user,
                    origin=_origin(request)).pk
            elif obj.submission_reference and obj.submitted_at is None:
                report_services.regulator_report_submit(actor=request.user, report_id=obj.pk,
                                                        reference=obj.submission_reference, origin=_origin(request))
        except ApplicationError as err:
            _refusal(request, err)

    def get_urls(self):
        return [path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                     name="compliance_report_download"), *super().get_urls()]

    def download_view(self, request, pk: int):
        if not request.user.has_perm("compliance.view_regulatorreport"):
            raise PermissionDenied
        report = RegulatorReport.objects.get(pk=pk)
        if report.status != ReportStatus.READY:
            return HttpResponseRedirect(reverse("admin:compliance_regulatorreport_changelist"))
        record("compliance.report.download", actor_id=request.user.pk, origin=_origin(request),
               data={"report": report.pk, "sha256": report.package_sha256})
        return FileResponse(open(report.package_path, "rb"), as_attachment=True,
                            filename=f"regulator-report-{report.pk}.zip")


# --- filing (G7a) ------------------------------------------------------------------------------------------------
@admin.register(FilingRecord)
class FilingRecordAdmin(FilingAlertMixin, NoAddDeleteAdmin):
    """Versions of the tier system. Mark one filed by typing the authority's number and saving; build its filing
    package (from the live configuration) with the action; the packages list shows progress and downloads."""

    list_display = ("version", "created_at", "change_summary", "filed", "filed_at", "filing_number", "authority")
    readonly_fields = ("version", "snapshot", "change_summary", "created_at", "created_by", "filed", "filed_at")
    actions = ["build_package"]

    def get_fields(self, request, obj=None):
        return [*self.readonly_fields, "filing_number", "authority"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.filed:
            return [*self.readonly_fields, "filing_number", "authority"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if obj.filed or not obj.filing_number:
            return
        try:
            filing_services.filing_mark_filed(actor=request.user, filing=obj, filing_number=obj.filing_number,
                                              authority=obj.authority, origin=_origin(request))
        except ApplicationError as err:
            _refusal(request, err)

    @admin.action(description="生成备案材料（按当前配置）/ Build the filing package (from the live configuration)",
                  permissions=["build"])
    def build_package(self, request, queryset):
        for filing in queryset:
            try:
                package = filing_services.filing_package_request(actor=request.user, filing_id=filing.pk,
                                                                 origin=_origin(request))
                messages.success(request, f"v{filing.version}: #{package.pk} 生成中 / building")
            except ApplicationError as err:
                _refusal(request, err, prefix=f"v{filing.version}: ")
        return HttpResponseRedirect(reverse("admin:compliance_filingpackage_changelist"))

    def has_build_permission(self, request) -> bool:
        return request.user.has_perm("compliance.add_filingpackage")


@admin.register(FilingPackage)
class FilingPackageAdmin(ReadOnlyAdmin):
    """Filing packages being built (progress) and built (download; each download is in the network log)."""

    list_display = ("id", "filing", "status", "requested_by", "requested_at", "built_at", "progress", "download")
    list_filter = ("status",)
    readonly_fields = ("filing", "status", "requested_by", "requested_at", "built_at", "progress", "package_sha256",
                       "package_size", "error", "download")
    fields = readonly_fields

    @admin.display(description="进度 / progress")
    def progress(self, obj):
        return _progress_bar(obj)

    @admin.display(description="数据包 / package")
    def download(self, obj):
        return _download_link(obj, url_name="admin:compliance_filing_download")

    def get_urls(self):
        return [path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                     name="compliance_filing_download"), *super().get_urls()]

    def download_view(self, request, pk: int):
        return _package_response(request, lambda: filing_services.filing_package_download(
            actor=request.user, package_id=pk, origin=_origin(request)),
            back="admin:compliance_filingpackage_changelist")
