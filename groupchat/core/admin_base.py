"""Admin building blocks shared by every app."""

from __future__ import annotations

from django.contrib import admin


class NoAddDeleteAdmin(admin.ModelAdmin):
    """Records created by services only and never deleted (evidence, queues): the admin may view and act, not add."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoAddDeleteAdmin):
    """Records nobody edits in the admin (logs, ledgers, histories)."""

    def has_change_permission(self, request, obj=None):
        return False
