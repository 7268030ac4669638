"""The moderators' admin for measures, restrictions in force and appeals.

Issuing takes at most two clicks from a group, a user or a message (tick it, pick "Issue a measure…" and Go), then a
form whose reason and legal basis are picked from lists. Every action calls a service, so the measure record, the
network log and django-auditlog's trail are written; nothing here edits a record directly.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import User
from groupchat.core.admin_base import ReadOnlyAdmin
from groupchat.core.errors import ApplicationError
from groupchat.core.origin import Origin
from groupchat.law import citation
from groups.models import Group, Message

from .appeals import appeal_decide
from .categories import CATEGORY_CHOICES
from .measures import BASIS_CHOICES, BLACKLIST_DAYS, measure_issue, measure_lift
from .models_measures import GROUP_KINDS, USER_KINDS, Appeal, AppealStatus, Measure, MeasureKind, Restriction

DURATIONS = [("1h", "1 hour / 1小时"), ("1d", "1 day / 1天"), ("3d", "3 days / 3天"),
             *[(f"{d}d", f"{d} days / {d}天") for d in BLACKLIST_DAYS], ("permanent", "permanent / 永久")]


def _duration_until(value: str):
    if value in ("", "permanent"):
        return None
    number, unit = int(value[:-1]), value[-1]
    return timezone.now() + (timedelta(hours=number) if unit == "h" else timedelta(days=number))


class MeasureIssueForm(forms.Form):
    kind = forms.ChoiceField(label="Measure / 措施")
    reason_code = forms.ChoiceField(label="Reason / 理由", choices=CATEGORY_CHOICES)
    basis = forms.ChoiceField(label="Legal basis / 法律依据",
                              choices=[(f"{a}.{p or 0}", citation(a, p)) for a, p in BASIS_CHOICES])
    duration = forms.ChoiceField(label="Duration or deadline / 期限", choices=DURATIONS, initial="7d", required=False)
    credit_points = forms.IntegerField(label="Credit points (credit down) / 扣减分数", min_value=1, max_value=100,
                                       initial=10, required=False)
    stars = forms.IntegerField(label="New stars (stars down) / 新星级", min_value=1, max_value=4, required=False)
    reason = forms.CharField(label="Note / 说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    report = forms.BooleanField(label="Include in the regulator report / 纳入监管报告", initial=True, required=False)

    def __init__(self, *args, kinds: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in MeasureKind if k in kinds]

    def clean(self):
        data = super().clean()
        # The blacklist's terms (REGULATION §5.11): 7, 30 or 180 days, or permanent.
        if data.get("kind") == MeasureKind.BLACKLIST and data.get("duration") not in (
                *(f"{d}d" for d in BLACKLIST_DAYS), "permanent"):
            self.add_error("duration", "A blacklist entry lasts 7, 30 or 180 days, or is permanent. / "
                                       "黑名单期限为7天、30天、180天或永久。")
        return data


def _message_evidence(message: Message) -> dict:
    """The message and the ones around it, as they are now (the snapshot is hashed with the measure)."""
    around = Message.objects.filter(group=message.group, seq__gte=message.seq - 5, seq__lte=message.seq + 5)
    return {"group": message.group.code, "message": message.pk, "context": [
        {"id": m.pk, "seq": m.seq, "sender": m.sender_id, "body": m.body, "at": m.created_at.isoformat()}
        for m in around.order_by("seq")]}


@admin.register(Measure)
class MeasureAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "change", "target", "reason_code", "basis_citation", "operator", "starts_at",
                    "ends_at", "report")
    list_filter = ("kind", "change", "target_type", "reason_code", "report", "created_at")
    search_fields = ("=id", "target_group__code", "target_group__name", "target_user__username",
                     "target_user__nickname", "source", "reason")
    list_select_related = ("target_group", "target_user", "operator")
    date_hierarchy = "created_at"
    actions = ["lift_measures"]

    @admin.display(description="target")
    def target(self, obj: Measure) -> str:
        if obj.target_group_id:
            return f"group {obj.target_group.code} {obj.target_group.name}"
        if obj.target_user_id:
            return f"user {obj.target_user.username}"
        return f"identity {obj.target_identity[:10]}…"

    def get_urls(self):
        return [path("issue/", self.admin_site.admin_view(self.issue_view), name="moderation_measure_issue"),
                *super().get_urls()]

    def issue_view(self, request: HttpRequest):
        """The issue form for one target: ``?group=<code>``, ``?user=<id>`` or ``?message=<id>``."""
        if not request.user.has_perm("moderation.issue_measure"):
            raise PermissionDenied
        target_group = target_user = message = None
        if request.GET.get("message"):
            message = get_object_or_404(Message.objects.select_related("group", "sender"), pk=request.GET["message"])
            # From a message: against its sender by default, or its group with &on=group.
            if request.GET.get("on") == "group":
                target_group = message.group
            else:
                target_user = message.sender
        elif request.GET.get("group"):
            target_group = get_object_or_404(Group, code=request.GET["group"])
        elif request.GET.get("user"):
            target_user = get_object_or_404(User, pk=request.GET["user"])
        else:
            raise PermissionDenied
        kinds = GROUP_KINDS if target_group is not None else USER_KINDS
        form = MeasureIssueForm(request.POST or None, kinds=kinds)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            article, paragraph = (int(x) for x in data["basis"].split("."))
            evidence = _message_evidence(message) if message is not None else (
                {"group": target_group.code, "name": target_group.name, "announcement": target_group.announcement}
                if target_group is not None else {"user": target_user.pk, "nickname": target_user.nickname})
            try:
                measure = measure_issue(
                    kind=data["kind"], operator=request.user, reason_code=data["reason_code"],
                    target_group=target_group, target_user=target_user, until=_duration_until(data["duration"]),
                    basis=(article, paragraph or None), reason=data["reason"], evidence=evidence,
                    credit_points=data["credit_points"] or 10, stars=data["stars"], report=data["report"],
                    source=f"message:{message.pk}" if message is not None else "admin",
                    origin=Origin.from_request(request))
            except ApplicationError as exc:
                form.add_error(None, exc.detail(request.user.language))
            else:
                self.message_user(request, f"Measure #{measure.pk} issued / 处置已作出", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:moderation_measure_change", args=[measure.pk]))
        context = {**self.admin_site.each_context(request), "title": "Issue a measure / 作出处置", "form": form,
                   "target_group": target_group, "target_user": target_user, "message": message,
                   "opts": self.model._meta}
        return TemplateResponse(request, "moderation/measures/issue.html", context)

    @admin.action(description="Lift the selected measures / 解除所选处置", permissions=["issue"])
    def lift_measures(self, request, queryset):
        for measure in queryset:
            try:
                measure_lift(measure=measure, operator=request.user, reason="lifted by a moderator",
                             origin=Origin.from_request(request))
            except ApplicationError as exc:
                self.message_user(request, f"#{measure.pk}: {exc.detail(request.user.language)}", messages.ERROR)

    def has_issue_permission(self, request) -> bool:
        return request.user.has_perm("moderation.issue_measure")


class OverdueFilter(admin.SimpleListFilter):
    title = "rectification overdue / 逾期"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", "overdue / 已逾期")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(until__lte=timezone.now())
        return queryset


@admin.register(Restriction)
class RestrictionAdmin(ReadOnlyAdmin):
    """What is in force now (groups under rectification, suspensions, mutes, blacklist entries)."""

    list_display = ("measure_link", "kind", "user", "group", "identity_short", "until", "escalated_at")
    list_filter = ("kind", OverdueFilter, "escalated_at")
    search_fields = ("group__code", "group__name", "user__username", "user__nickname", "identity")
    list_select_related = ("measure", "user", "group")
    actions = ["lift_rectified"]

    @admin.display(description="measure")
    def measure_link(self, obj: Restriction):
        return format_html('<a href="{}">#{}</a>', reverse("admin:moderation_measure_change", args=[obj.measure_id]),
                           obj.measure_id)

    @admin.display(description="identity")
    def identity_short(self, obj: Restriction) -> str:
        return f"{obj.identity[:10]}…" if obj.identity else ""

    @admin.action(description="Lift (rectified / ended early) / 解除（已整改）", permissions=["issue"])
    def lift_rectified(self, request, queryset):
        for row in queryset.select_related("measure"):
            try:
                measure_lift(measure=row.measure, operator=request.user, reason="rectified / lifted",
                             origin=Origin.from_request(request))
            except ApplicationError as exc:
                self.message_user(request, f"#{row.measure_id}: {exc.detail(request.user.language)}", messages.ERROR)

    def has_issue_permission(self, request) -> bool:
        return request.user.has_perm("moderation.issue_measure")


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("id", "measure", "appellant", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status", "measure__kind", "created_at")
    search_fields = ("=id", "appellant__username", "appellant__nickname", "text")
    list_select_related = ("measure", "appellant", "decided_by")
    actions = ["uphold", "reject"]

    def _decide(self, request, queryset, upheld: bool) -> None:
        for appeal in queryset.filter(status=AppealStatus.PENDING):
            try:
                appeal_decide(appeal=appeal, moderator=request.user, upheld=upheld,
                              text="upheld" if upheld else "rejected", origin=Origin.from_request(request))
            except ApplicationError as exc:
                self.message_user(request, f"#{appeal.pk}: {exc.detail(request.user.language)}", messages.ERROR)

    @admin.action(description="Uphold: lift the measure / 申诉成立，解除处置", permissions=["decide"])
    def uphold(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description="Reject / 驳回申诉", permissions=["decide"])
    def reject(self, request, queryset):
        self._decide(request, queryset, False)

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm("moderation.decide_appeal")


# --- "Issue a measure…" on the groups, users and messages lists (moderation lends it; they do not import us) ------
def _issue_action(param: str, value):
    def action(modeladmin, request, queryset):
        obj = queryset.first()
        if obj is None or queryset.count() != 1:
            modeladmin.message_user(request, "Tick exactly one / 请只选择一项", messages.WARNING)
            return None
        return HttpResponseRedirect(f"{reverse('admin:moderation_measure_issue')}?{param}={value(obj)}")

    action.__name__ = f"issue_measure_{param}"
    action.short_description = "Issue a measure… / 作出处置…"
    action.allowed_permissions = ("issue",)
    return action


def _lend_issue_action(model, param: str, value) -> None:
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return
    model_admin.actions = [*(model_admin.actions or []), _issue_action(param, value)]
    model_admin.has_issue_permission = lambda request: request.user.has_perm("moderation.issue_measure")


_lend_issue_action(Group, "group", lambda g: g.code)
_lend_issue_action(User, "user", lambda u: u.pk)
_lend_issue_action(Message, "message", lambda m: m.pk)
