"""Back-office for accounts: the identity review queue, the reveal log, agreements, the credit ledger and grade table.

Reviewers see masked data only; the full data appears only after an explicit reveal with a typed reason, which is
recorded (``IdentityReveal``). Ledgers and logs are read-only here; every write goes through a service.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from groupchat.core.admin_base import NoAddDeleteAdmin, ReadOnlyAdmin
from groupchat.core.errors import ApplicationError
from groupchat.core.filing import FilingAlertMixin
from groupchat.core.origin import Origin

from . import services
from .credit import grade_permission_validate
from .idnumbers import phone_mask
from .models import (
    Agreement,
    AgreementAcceptance,
    CreditEvent,
    CreditSource,
    GradePermission,
    GuardianConsent,
    IdentityConsent,
    IdentityReveal,
    IdentitySubmission,
    SubmissionStatus,
    User,
)
from .selectors import GRADE_PERMISSION_FIELDS, grade_for


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "nickname", "masked_phone", "verification_level", "credit_score", "grade", "is_staff",
                    "is_active")
    list_filter = ("verification_level", "is_staff", "is_active", "groups")
    search_fields = ("username", "nickname")
    ordering = ("username",)
    readonly_fields = ("verification_level", "credit_score", "phone_verified_at", "last_login", "date_joined",
                       "masked_phone")
    fieldsets = (
        (None, {"fields": ("username", "password", "nickname", "language")}),
        (_("Verification"), {"fields": ("verification_level", "masked_phone", "phone_verified_at")}),
        (_("Credit"), {"fields": ("credit_score",)}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "nickname", "password1", "password2")}),)
    actions = ["deactivate_accounts", "reactivate_accounts"]

    def save_model(self, request, obj, form, change):
        """A change of ``is_active`` goes through the deactivation service (network log, send gates, open sockets
        closed), never as a bare column write."""
        toggled = change and "is_active" in form.changed_data
        wanted = obj.is_active
        if toggled:
            obj.is_active = not wanted  # the form's other fields are saved; the service makes this change
        super().save_model(request, obj, form, change)
        if toggled:
            service = services.user_reactivate if wanted else services.user_deactivate
            service(user=obj, actor=request.user, reason="admin", origin=Origin.from_request(request))

    @admin.action(description=_("Deactivate the selected accounts"))
    def deactivate_accounts(self, request, queryset):
        for user in queryset:
            services.user_deactivate(user=user, actor=request.user, reason="admin", origin=Origin.from_request(request))

    @admin.action(description=_("Reactivate the selected accounts"))
    def reactivate_accounts(self, request, queryset):
        for user in queryset:
            services.user_reactivate(user=user, actor=request.user, reason="admin", origin=Origin.from_request(request))

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return phone_mask(obj.phone)

    @admin.display(description=_("grade"))
    def grade(self, obj):
        return grade_for(obj.credit_score)

    def get_urls(self):
        return [path("<int:pk>/credit/", self.admin_site.admin_view(self.credit_view), name="accounts_user_credit"),
                *super().get_urls()]

    def credit_view(self, request, pk: int):
        """Manual credit adjustment: operator and reason recorded in the ledger."""
        if not request.user.has_perm("accounts.add_creditevent"):
            raise PermissionDenied
        user = get_object_or_404(User, pk=pk)
        if request.method == "POST":
            try:
                services.credit_change(user=user, delta=int(request.POST.get("delta", "0")),
                                       reason_code=request.POST.get("reason_code", "manual")[:40] or "manual",
                                       source=CreditSource.MANUAL, operator=request.user,
                                       reason=request.POST.get("reason", ""), origin=Origin.from_request(request))
            except (ApplicationError, ValueError) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("credit changed"))
                return redirect(reverse("admin:accounts_user_change", args=[pk]))
        context = {**self.admin_site.each_context(request), "subject": user, "grade": grade_for(user.credit_score),
                   "title": f"Adjust credit: {user}", "opts": self.model._meta}
        return TemplateResponse(request, "accounts/admin/credit_adjust.html", context)


@admin.register(IdentitySubmission)
class IdentitySubmissionAdmin(NoAddDeleteAdmin):
    """The review queue: filter by status (pending first), open one to approve, reject or reveal."""

    list_display = ("id", "user", "kind", "level", "status", "legal_name_masked", "id_number_masked", "org_name",
                    "submitted_at", "decided_by")
    list_filter = ("status", "kind", "level")
    search_fields = ("user__username", "uscc", "org_name")
    ordering = ("status", "submitted_at")
    change_form_template = "accounts/admin/submission_review.html"
    fields = ("user", "kind", "level", "status", "legal_name_masked", "id_number_masked", "org_name", "uscc",
              "network_id_token", "network_id_result", "consent", "provider", "provider_ref", "submitted_at",
              "decided_at", "decided_by", "reject_reason")
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("accounts.review_identity")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", view(self.approve_view), name="accounts_identitysubmission_approve"),
            path("<int:pk>/reject/", view(self.reject_view), name="accounts_identitysubmission_reject"),
            path("<int:pk>/reveal/", view(self.reveal_view), name="accounts_identitysubmission_reveal"),
            *super().get_urls(),
        ]

    def _back(self, pk: int):
        return redirect(reverse("admin:accounts_identitysubmission_change", args=[pk]))

    def approve_view(self, request, pk: int):
        if request.method == "POST":
            try:
                services.identity_approve(submission_id=pk, reviewer=request.user, origin=Origin.from_request(request))
                messages.success(request, _("approved"))
            except ApplicationError as exc:
                messages.error(request, exc.detail())
        return self._back(pk)

    def reject_view(self, request, pk: int):
        if request.method == "POST":
            try:
                services.identity_reject(submission_id=pk, reviewer=request.user,
                                         reason=request.POST.get("reason", ""), origin=Origin.from_request(request))
                messages.success(request, _("rejected"))
            except ApplicationError as exc:
                messages.error(request, exc.detail())
        return self._back(pk)

    def reveal_view(self, request, pk: int):
        """POST only, with a typed reason; the plaintext is rendered once in the response and never stored."""
        submission = get_object_or_404(IdentitySubmission, pk=pk)
        if request.method != "POST":
            return self._back(pk)
        try:
            data = services.identity_reveal(actor=request.user, submission_id=pk,
                                            reason=request.POST.get("reason", ""), origin=Origin.from_request(request))
        except ApplicationError as exc:
            messages.error(request, exc.detail())
            return self._back(pk)
        context = {**self.admin_site.each_context(request), "submission": submission, "data": data,
                   "title": f"Revealed: submission #{pk}", "opts": self.model._meta}
        response = TemplateResponse(request, "accounts/admin/submission_revealed.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "pending_status": SubmissionStatus.PENDING,
                         "can_review": request.user.has_perm("accounts.review_identity"),
                         "can_reveal": request.user.has_perm("accounts.reveal_identity")}
        return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(IdentityReveal)
class IdentityRevealAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "subject", "submission", "granted", "reason", "ip")
    list_filter = ("granted",)
    search_fields = ("actor__username", "subject__username", "reason")
    date_hierarchy = "at"


@admin.register(IdentityConsent)
class IdentityConsentAdmin(ReadOnlyAdmin):
    list_display = ("user", "purpose_version", "accepted_at", "ip")
    search_fields = ("user__username",)


@admin.action(description=_("Publish now"))
def publish_now(modeladmin, request, queryset):
    for agreement in queryset.filter(published_at__isnull=True):
        services.agreement_publish(agreement=agreement, actor=request.user)


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    """Draft a version (empty ``published_at``), then publish it; a material version gates posting until accepted."""

    list_display = ("kind", "version", "title_zh", "title_en", "material", "published_at")
    list_filter = ("kind", "material")
    actions = [publish_now]

    def get_readonly_fields(self, request, obj=None):
        # A published version is what users accepted: its text is frozen; publish a new version to change it.
        if obj is not None and obj.published_at is not None:
            return ("kind", "version", "title_zh", "title_en", "body_zh", "body_en", "material", "published_at")
        return ()

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.published_at is None


@admin.register(AgreementAcceptance)
class AgreementAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ("user", "agreement", "accepted_at", "ip")
    list_filter = ("agreement__kind",)
    search_fields = ("user__username",)


@admin.register(CreditEvent)
class CreditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "delta", "score_after", "grade_before", "grade_after", "source",
                    "reason_code", "operator", "ref")
    list_filter = ("source", "grade_after")
    search_fields = ("user__username", "reason_code", "ref")
    date_hierarchy = "created_at"


class GradePermissionForm(forms.ModelForm):
    """Checks the edit against the whole table (order of grades, tiers, rates) before anything is saved."""

    class Meta:
        model = GradePermission
        fields = ("groups_owned_max", "groups_created_per_day", "groups_joined_max", "admin_eligible",
                  "max_owned_tier", "message_rate")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not self.errors:
            try:
                grade_permission_validate(grade=self.instance.grade, values={
                    f: cleaned[f] for f in GRADE_PERMISSION_FIELDS if f in cleaned})
            except ApplicationError as exc:
                raise forms.ValidationError(exc.detail()) from exc
        return cleaned


@admin.register(GradePermission)
class GradePermissionAdmin(FilingAlertMixin, admin.ModelAdmin):
    """The grade table is part of the filed tier system: every save goes through ``grade_permission_update``, which
    makes a new, unfiled filing version (G7a), and the list warns until it is filed; values below a floor are
    refused with the reason."""

    form = GradePermissionForm
    list_display = ("grade", "groups_owned_max", "groups_created_per_day", "groups_joined_max", "admin_eligible",
                    "max_owned_tier", "message_rate")
    list_editable = ("groups_owned_max", "groups_created_per_day", "groups_joined_max", "admin_eligible",
                     "max_owned_tier", "message_rate")
    readonly_fields = ("grade",)

    def has_add_permission(self, request):
        return False  # one row per grade of ACCOUNTS["CREDIT_GRADES"], made by grade_table_ensure

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=GradePermissionForm, **kwargs)

    def save_model(self, request, obj, form, change):
        services.grade_permission_update(actor=request.user, grade=obj.grade,
                                         values={f: getattr(obj, f) for f in GRADE_PERMISSION_FIELDS},
                                         origin=Origin.from_request(request))


class GuardianConsentForm(forms.ModelForm):
    """The guardian's name is typed here and stored only encrypted (with a masked copy) by the service."""

    guardian_name = forms.CharField(label=_("guardian name"), max_length=40)

    class Meta:
        model = GuardianConsent
        fields = ("user", "relationship", "evidence")

    def clean(self):
        cleaned = super().clean()
        name = " ".join(cleaned.get("guardian_name", "").split())
        if not 2 <= len(name) <= 40 or len(cleaned.get("evidence", "").strip()) < 5:
            raise forms.ValidationError(ApplicationError("guardian_consent_invalid").detail())
        return cleaned


@admin.register(GuardianConsent)
class GuardianConsentAdmin(admin.ModelAdmin):
    """Identity reviewers record a guardian's consent for a child under 14 (PIPL Art 31) before approving L2;
    rows are append-only and show the guardian's name masked."""

    form = GuardianConsentForm
    list_display = ("user", "relationship", "guardian_name_masked", "recorded_by", "recorded_at")
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)
    readonly_fields = ("guardian_name_masked", "recorded_by", "recorded_at", "ip")

    def has_add_permission(self, request):
        return request.user.has_perm("accounts.review_identity")

    def has_change_permission(self, request, obj=None):
        return obj is None and self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:  # an existing row is read-only: no name field, nothing to change
            kwargs["form"] = forms.ModelForm
            kwargs["fields"] = ()
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        try:
            consent = services.guardian_consent_record(
                user=form.cleaned_data["user"], guardian_name=form.cleaned_data["guardian_name"],
                relationship=form.cleaned_data["relationship"], evidence=form.cleaned_data["evidence"],
                recorded_by=request.user, origin=Origin.from_request(request))
        except ApplicationError as exc:
            raise PermissionDenied(exc.detail()) from exc
        obj.pk = consent.pk
