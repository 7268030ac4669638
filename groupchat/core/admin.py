from django.contrib import admin

from .admin_base import ReadOnlyAdmin
from .models import LogEntry


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """The network log is read-only for everyone: it is evidence (G13b)."""

    list_display = ("created_at", "kind", "actor_id", "group_code", "target_id", "ip", "port")
    list_filter = ("kind",)
    search_fields = ("group_code", "=actor_id", "ip")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in LogEntry._meta.fields]
