"""Platform moderators' view of groups. Changes go through services (so audit and log rows are written)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from groupchat.core.admin_base import NoAddDeleteAdmin, ReadOnlyAdmin
from groupchat.core.errors import ApplicationError
from groupchat.core.filing import FilingAlertMixin, filing_changed
from groupchat.core.origin import Origin

from . import services
from .models import (
    Group,
    GroupApplication,
    GroupAuditEvent,
    GroupCategory,
    Membership,
    Message,
    TierChange,
    TierPolicy,
)
from .services import tiers


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "group"
    extra = 0
    fields = ("user", "role", "joined_at", "muted_until", "invited_by")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "category", "status", "member_count", "member_cap", "owner", "created_at")
    list_filter = ("status", "join_mode", "category")
    search_fields = ("=code", "name")
    readonly_fields = ("code", "owner", "last_seq", "member_count", "created_at", "closed_at", "pending_owner")
    inlines = [MembershipInline]
    actions = ["close_groups"]

    @admin.action(description=_("Close the selected groups (their codes stay reserved)"))
    def close_groups(self, request, queryset):
        for group in queryset:
            try:
                services.group_close(actor=request.user, group=group, reason="closed by the platform",
                                     origin=Origin.from_request(request), by_platform=True)
            except ApplicationError as exc:
                self.message_user(request, f"{group.code}: {exc.detail()}", messages.ERROR)

    def has_delete_permission(self, request, obj=None):
        return False  # groups are closed, never deleted: codes and records must outlive them


@admin.register(Message)
class MessageAdmin(NoAddDeleteAdmin):
    list_display = ("group", "seq", "sender", "created_at", "removed_at")
    list_select_related = ("group", "sender")
    search_fields = ("=group__code",)
    readonly_fields = [f.name for f in Message._meta.fields]



@admin.register(GroupAuditEvent)
class GroupAuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "group", "action", "actor", "target")
    list_filter = ("action",)
    list_select_related = ("group", "actor", "target")
    search_fields = ("=group__code",)
    readonly_fields = [f.name for f in GroupAuditEvent._meta.fields]



# --- tiered management (G7a, G8c) -----------------------------------------------------------------------------------


class TierSystemAdmin(FilingAlertMixin, admin.ModelAdmin):
    """Saving a tier or category makes a new, unfiled filing version (``filing.changed``, same transaction)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        what = f"{obj._meta.verbose_name} {obj}: " + (", ".join(form.changed_data) if change else "added")
        filing_changed(actor=request.user, summary=what)

    def has_delete_permission(self, request, obj=None):
        return False  # groups refer to them; deactivate a category instead


@admin.register(TierPolicy)
class TierPolicyAdmin(TierSystemAdmin):
    list_display = ("slug", "name_zh", "rank", "max_members", "owner_verification_level", "owner_min_grade",
                    "requires_review", "screening_intensity")


@admin.register(GroupCategory)
class GroupCategoryAdmin(TierSystemAdmin):
    list_display = ("slug", "name_zh", "name_en", "min_review_rank", "active", "order")


@admin.register(GroupApplication)
class GroupApplicationAdmin(NoAddDeleteAdmin):
    """The review queue of groups (and upgrades) in reviewed tiers (G8c)."""

    list_display = ("id", "created_at", "applicant", "tier", "is_upgrade", "group", "status", "decided_by")
    list_filter = ("status", "tier", "is_upgrade")
    readonly_fields = [f.name for f in GroupApplication._meta.fields]
    actions = ["approve", "refuse"]


    def _decide(self, request, queryset, approve: bool):
        for application in queryset:
            try:
                tiers.application_decide(actor=request.user, application_id=application.pk, approve=approve,
                                         reason="" if approve else "refused by platform review",
                                         origin=Origin.from_request(request))
            except ApplicationError as exc:
                self.message_user(request, f"#{application.pk}: {exc.detail()}", messages.ERROR)

    @admin.action(description=_("Approve: open the group / apply the upgrade"))
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("Refuse"))
    def refuse(self, request, queryset):
        self._decide(request, queryset, False)


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "group", "from_tier", "to_tier", "reason")
    list_filter = ("reason", "to_tier")
    readonly_fields = [f.name for f in TierChange._meta.fields]

