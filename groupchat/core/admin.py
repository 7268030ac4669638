from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

from . import log_filters
from .admin_base import ReadOnlyAdmin
from .models import LogEntry


class BoundedCountPaginator(Paginator):
    """Counts at most ``CAP`` + 1 rows: six months of a busy log is hundreds of millions, and an exact COUNT(*) of them
    on every page view would be the slowest thing the admin does. Past the cap an unfiltered list shows the planner's
    estimate (the table's and its partitions' ``reltuples``); a filtered one pages through its first ``CAP`` rows,
    which is what narrowing the filters is for."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        bounded = self.object_list[: self.CAP + 1].count()
        if bounded <= self.CAP:
            return bounded
        if not self.object_list.query.where and (estimate := _estimated_rows(self.object_list)):
            return max(estimate, bounded)
        return self.CAP


def _estimated_rows(queryset) -> int | None:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:  # the table itself, or the sum of its partitions when it is partitioned
        cursor.execute("SELECT sum(greatest(c.reltuples, 0))::bigint FROM pg_class c WHERE c.oid = %s::regclass "
                       "OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)",
                       [queryset.model._meta.db_table] * 2)
        (rows,) = cursor.fetchone()
    return rows or None


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """The network log is read-only for everyone: it is evidence (G13b). Officers find records by user, group,
    address and time (log_filters); the list never counts the whole log."""

    list_display = ("created_at", "kind", "actor_id", "group_code", "target_id", "ip", "port")
    list_filter = (log_filters.TimeFilter, log_filters.UserFilter, log_filters.GroupFilter, log_filters.AddressFilter,
                   log_filters.KindFilter)
    readonly_fields = [f.name for f in LogEntry._meta.fields]
    ordering = ("-created_at", "-id")
    paginator = BoundedCountPaginator
    show_full_result_count = False
    list_per_page = 100
