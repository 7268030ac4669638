"""Platform moderators' view of groups. Changes go through services (so audit and log rows are written)."""

from __future__ import annotations

from django.contrib import admin, messages

from groupchat.core.errors import ApplicationError
from groupchat.core.origin import Origin

from . import services
from .models import Group, GroupAuditEvent, Membership, Message


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

    @admin.action(description="Close the selected groups (their codes stay reserved)")
    def close_groups(self, request, queryset):
        for group in queryset:
            try:
                services.group_close(actor=request.user, group=group, reason="closed by the platform",
                                     origin=Origin.from_request(request))
            except ApplicationError as exc:
                self.message_user(request, f"{group.code}: {exc.detail()}", messages.ERROR)

    def has_delete_permission(self, request, obj=None):
        return False  # groups are closed, never deleted: codes and records must outlive them


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("group", "seq", "sender", "created_at", "removed_at")
    list_select_related = ("group", "sender")
    search_fields = ("=group__code",)
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GroupAuditEvent)
class GroupAuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "group", "action", "actor", "target")
    list_filter = ("action",)
    list_select_related = ("group", "actor", "target")
    search_fields = ("=group__code",)
    readonly_fields = [f.name for f in GroupAuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
