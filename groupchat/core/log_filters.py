"""The network log's look-ups for the admin (G13b): by user, group, IP address or network, and time range.

Each is a sidebar field an officer types into, not a search-box convention to learn. They use what the log's table
indexes (actor, group code, time; time also prunes the monthly partitions) except the address, which has no index
(one more index on every message's log row is a cost the send path would pay): an address search scans, so it is
best narrowed by a time range.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, time

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _


class InputFilter(admin.ListFilter):
    """A sidebar filter with one text input per parameter; empty inputs filter nothing."""

    template = "admin/core/input_filter.html"
    parameters: tuple[tuple[str, str], ...] = ()  # (query parameter, label)

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values: dict[str, str] = {}
        for name, _label in self.parameters:
            if name in params:
                value = params.pop(name)
                value = value[-1] if isinstance(value, list) else value
                if value.strip():
                    self.values[name] = value.strip()
        self.request = request

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return [name for name, _label in self.parameters]

    def choices(self, changelist):
        # The template renders inputs; "choices" carries what it needs: the fields and the other parameters to keep.
        keep = {k: v for k, v in changelist.get_filters_params().items() if k not in self.expected_parameters()}
        yield {"fields": [(name, label, self.values.get(name, "")) for name, label in self.parameters],
               "keep": [(k, v[-1] if isinstance(v, list) else v) for k, v in keep.items()],
               "clear": changelist.get_query_string(remove=self.expected_parameters())}

    def refuse(self, message: str) -> None:
        """An input that cannot be read: say so and filter by nothing rather than hide every row."""
        messages.warning(self.request, message)


class UserFilter(InputFilter):
    title = _("user")
    parameters = (("user", _("username or user id")),)

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.values.get("user")
        if not value:
            return queryset
        ids = list(get_user_model().objects.filter(username=value).values_list("pk", flat=True))
        if value.isdigit():
            ids.append(int(value))
        if not ids:
            self.refuse(_("No user is called %(name)s. / 没有名为 %(name)s 的用户。") % {"name": value})
            return queryset.none()
        # The actor, or the user acted upon (a measure, a removal): both are "by user" to an officer.
        return queryset.filter(Q(actor_id__in=ids) | Q(target_id__in=ids))


class GroupFilter(InputFilter):
    title = _("chat group")
    parameters = (("group", _("group code")),)

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.values.get("group")
        return queryset.filter(group_code=value) if value else queryset


class AddressFilter(InputFilter):
    title = _("IP address")
    parameters = (("ip", _("address or network, e.g. 10.0.0.0/8")),)

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.values.get("ip")
        if not value:
            return queryset
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            self.refuse(_("%(value)s is not an IP address or network. / %(value)s 不是 IP 地址或网段。")
                        % {"value": value})
            return queryset
        if network.num_addresses == 1:
            return queryset.filter(ip=str(network.network_address))
        if connections[queryset.db].vendor == "postgresql":  # inet's "is contained by or equals"
            return queryset.filter(RawSQL("ip <<= %s::inet", [str(network)], output_field=BooleanField()))
        # SQLite (the embedded mode) stores text: the network's addresses compared as text is not a range, so read
        # them in Python over the rows at hand.
        ids = [pk for pk, ip in queryset.exclude(ip=None).values_list("pk", "ip")
               if ipaddress.ip_address(ip) in network]
        return queryset.filter(pk__in=ids)


class KindFilter(InputFilter):
    """Not Django's list of every distinct value: that is a scan of the whole log on every page view."""

    title = _("event")
    parameters = (("kind", _("event, e.g. auth.login, or message.* for all of a kind")),)

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.values.get("kind")
        if not value:
            return queryset
        return queryset.filter(kind__startswith=value[:-1]) if value.endswith("*") else queryset.filter(kind=value)


class TimeFilter(InputFilter):
    title = _("time")
    parameters = (("from", _("from (2026-12-01 or 2026-12-01 08:00)")), ("to", _("to (inclusive)")))

    def _moment(self, value: str, *, end: bool) -> datetime | None:
        if (day := parse_date(value)) is not None:  # a whole day: "to" takes it in
            parsed = datetime.combine(day, time.max if end else time.min)
        else:
            parsed = parse_datetime(value.replace("T", " "))
        if parsed is None:
            self.refuse(_("%(value)s is not a date or time. / %(value)s 不是日期或时间。") % {"value": value})
            return None
        return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if (start := self.values.get("from")) and (moment := self._moment(start, end=False)):
            queryset = queryset.filter(created_at__gte=moment)
        if (stop := self.values.get("to")) and (moment := self._moment(stop, end=True)):
            queryset = queryset.filter(created_at__lte=moment)
        return queryset
