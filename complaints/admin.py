"""The moderators' complaint desk in the admin: the case queue (priority, urgent and soonest-due first, with SLA
badges), a case page with its reports, frozen evidence and history, and the workflow steps as buttons that call the
services. Referrals from the authority are entered on their own page. Holidays and duty shifts are edited here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

from groupchat.core.admin_base import NoAddDeleteAdmin, ReadOnlyAdmin
from groupchat.core.errors import ApplicationError
from groupchat.core.origin import Origin
from moderation.categories import CATEGORY_CHOICES
from moderation.models_measures import MeasureKind

from . import services
from .categories import plain_name
from .models import Case, CaseEvent, Complaint, DutyShift, Escalation, Holiday, Outcome, Source
from .selectors import evidence_intact

_BADGE = {Escalation.OVERDUE: ("#ba2121", "超时 overdue"), Escalation.NEARING: ("#e08e0b", "临近 nearing")}


class ComplaintInline(admin.TabularInline):
    model = Complaint
    fields = ("number", "source", "authority_ref", "reporter", "category", "urgent", "text", "created_at",
              "false_report")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ("created_at", "kind", "actor", "complaint", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _measure_orders(post) -> list[services.MeasureOrder]:
    """The decide form's measure rows (kind, on user/group, until, credit points) as orders for the service."""
    orders = []
    for i in (1, 2):
        kind = post.get(f"measure_kind_{i}", "")
        if not kind:
            continue
        until = parse_datetime(post.get(f"measure_until_{i}", "") or "")
        if until is not None and timezone.is_naive(until):
            until = timezone.make_aware(until)
        points = post.get(f"measure_points_{i}", "")
        orders.append(services.MeasureOrder(kind=kind, on=post.get(f"measure_on_{i}", "user"), until=until,
                                            credit_points=int(points) if points.isdigit() else None))
    return orders


@admin.register(Case)
class CaseAdmin(NoAddDeleteAdmin):
    list_display = ("id", "sla_badge", "priority", "urgent", "target_key", "category", "status", "reports",
                    "assignee", "triage_due", "decide_due", "created_at")
    list_filter = ("status", "priority", "urgent", "escalation", "category", "target_kind")
    search_fields = ("target_key", "complaints__number", "complaints__authority_ref")
    ordering = ("-priority", "-urgent", "decide_due")
    readonly_fields = [f.name for f in Case._meta.fields]
    inlines = [ComplaintInline, CaseEventInline]
    change_form_template = "complaints/admin/case.html"
    actions = ["triage_selected", "assign_to_me", "merge_into_oldest", "close_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_reports=Count("complaints")).select_related("assignee")

    @admin.display(description="reports", ordering="n_reports")
    def reports(self, obj):
        return obj.n_reports

    @admin.display(description="SLA", ordering="escalation")
    def sla_badge(self, obj):
        if obj.escalation not in _BADGE:
            return "—"
        color, text = _BADGE[obj.escalation]
        return format_html('<span class="sla-badge sla-{}" style="background:{};color:#fff;border-radius:9px;'
                           'padding:0 7px">{}</span>', obj.escalation, color, text)

    # -- actions (each case through the services, so every step is recorded) --------------------------------------
    def _each(self, request, queryset, step) -> None:
        if not request.user.has_perm("complaints.handle_case"):
            raise PermissionDenied
        done = 0
        for case in queryset:
            try:
                step(case)
                done += 1
            except ApplicationError as exc:
                messages.warning(request, f"#{case.pk}: {exc.detail()}")
        messages.success(request, f"{done} case(s) done")

    @admin.action(description="分诊 / Triage")
    def triage_selected(self, request, queryset):
        self._each(request, queryset, lambda c: services.case_triage(case=c, moderator=request.user))

    @admin.action(description="分派给我 / Assign to me")
    def assign_to_me(self, request, queryset):
        self._each(request, queryset,
                   lambda c: services.case_assign(case=c, moderator=request.user, assignee=request.user))

    @admin.action(description="关闭已处理 / Close decided")
    def close_selected(self, request, queryset):
        self._each(request, queryset, lambda c: services.case_close(case=c, moderator=request.user))

    @admin.action(description="合并到最早的案件 / Merge into the oldest")
    def merge_into_oldest(self, request, queryset):
        cases = list(queryset.order_by("created_at", "pk"))
        if len(cases) < 2:
            messages.warning(request, "select two or more open cases")
            return
        keep = cases[0]
        self._each(request, cases[1:], lambda c: services.case_merge(source=c, into=keep, moderator=request.user))

    # -- the case page and its steps ------------------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("refer/", view(self.refer_view), name="complaints_case_refer"),
            path("<int:pk>/step/", view(self.step_view), name="complaints_case_step"),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        if object_id:
            case = get_object_or_404(Case, pk=object_id)
            complaints = list(case.complaints.select_related("evidence", "reporter").order_by("created_at"))
            # Each reporter's earlier false reports, in one query rather than one per ticket.
            false_counts = dict(Complaint.objects.filter(reporter_id__in={c.reporter_id for c in complaints},
                                                         false_report=True)
                                .values("reporter_id").annotate(n=Count("pk")).values_list("reporter_id", "n"))
            extra.update({
                "case": case, "outcomes": Outcome.choices[1:], "categories": CATEGORY_CHOICES,
                "measure_kinds": MeasureKind.choices, "measures": list(case.measures.all()),
                "category_plain": plain_name(case.category),
                "evidence": [{"complaint": c, "snapshot": c.evidence.snapshot, "intact": evidence_intact(c),
                              "false_count": false_counts.get(c.reporter_id, 0)} for c in complaints],
                "can_handle": request.user.has_perm("complaints.handle_case"), "now": timezone.now(),
            })
        return super().changeform_view(request, object_id, form_url, extra)

    def step_view(self, request, pk: int):
        if request.method != "POST" or not request.user.has_perm("complaints.handle_case"):
            raise PermissionDenied
        case = get_object_or_404(Case, pk=pk)
        step, me, post = request.POST.get("step"), request.user, request.POST
        try:
            if step == "triage":
                services.case_triage(case=case, moderator=me, category=post.get("category") or None)
            elif step == "assign":
                services.case_assign(case=case, moderator=me, assignee=me)
            elif step == "decide":
                services.case_decide(case=case, moderator=me, outcome=post.get("outcome", ""),
                                     reason=post.get("reason", ""), measures=_measure_orders(post),
                                     measure_ids=[int(x) for x in post.get("measure_ids", "").replace(",", " ").split()
                                                  if x.isdigit()])
            elif step == "close":
                services.case_close(case=case, moderator=me)
            elif step == "merge":
                into = get_object_or_404(Case, pk=int(post.get("into") or 0))
                case = services.case_merge(source=case, into=into, moderator=me)
            elif step == "false_report":
                complaint = get_object_or_404(Complaint, pk=int(post.get("complaint") or 0), case=case)
                services.complaint_mark_false(complaint=complaint, moderator=me, reason=post.get("reason", ""),
                                              penalise=post.get("penalise") == "1")
            else:
                raise ApplicationError("bad_request")
        except (ApplicationError, ValueError) as exc:
            messages.error(request, exc.detail() if isinstance(exc, ApplicationError) else str(exc))
        else:
            messages.success(request, f"{step}: done")
        return redirect(reverse("admin:complaints_case_change", args=[case.pk]))

    def refer_view(self, request):
        """Enter a referral from 12377 or the CAC: it lands in the priority queue."""
        if not request.user.has_perm("complaints.handle_case"):
            raise PermissionDenied
        if request.method == "POST":
            post = request.POST
            ids = [int(x) for x in post.get("evidence", "").replace(",", " ").split() if x.isdigit()]
            try:
                complaint = services.complaint_refer(
                    staff=request.user, source=post.get("source", ""), authority_ref=post.get("authority_ref", ""),
                    target=post.get("target", ""), category=post.get("category", ""), text=post.get("text", ""),
                    evidence_message_ids=ids, origin=Origin.from_request(request))
            except ApplicationError as exc:
                messages.error(request, exc.detail())
            else:
                messages.success(request, f"{complaint.number}")
                return redirect(reverse("admin:complaints_case_change", args=[complaint.case_id]))
        context = {**self.admin_site.each_context(request), "title": "录入转办举报 / Enter an authority referral",
                   "opts": self.model._meta, "categories": CATEGORY_CHOICES,
                   "sources": [(v, label) for v, label in Source.choices if v != Source.USER], "post": request.POST}
        return TemplateResponse(request, "complaints/admin/refer.html", context)


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ("number", "case", "source", "category", "report_type", "urgent", "created_at", "decided_at",
                    "false_report")
    list_filter = ("source", "category", "report_type", "urgent", "false_report")
    search_fields = ("number", "authority_ref")
    readonly_fields = [f.name for f in Complaint._meta.fields]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "working")
    list_filter = ("working",)
    date_hierarchy = "date"


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ("user", "starts_at", "ends_at")
    raw_id_fields = ("user",)
