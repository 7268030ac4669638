"""The moderators' admin for screening (G10) and the emergency switches (G5a).

Rules: add, edit, enable/disable, import and export a CSV or text file; every change through the rule services, so
each writes its versioned ``RuleChange`` (and django-auditlog's trail). Review queues: held messages (release or
remove, with the messages around them), flagged items (clear or mark actioned), blocked attempts (evidence, read
only). Switches: one page to toggle, with a required reason; only the role may toggle.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from groupchat.core.admin_base import NoAddDeleteAdmin, ReadOnlyAdmin
from groupchat.core.errors import ApplicationError
from groupchat.core.origin import Origin
from groups.models import GroupCategory

from .categories import CATEGORY_CHOICES
from .held import flagged_context, flagged_review, held_context, held_release, held_remove
from .models_screening import (
    PLATFORM,
    BlockedAttempt,
    EmergencySwitch,
    FlaggedItem,
    HeldMessage,
    RuleAction,
    RuleChange,
    ScreeningRule,
    SwitchKind,
    SwitchToggle,
)
from .screening.rules import (
    rule_create,
    rule_update,
    rule_validate,
    rules_export,
    rules_import,
    rules_set_enabled,
)
from .switches import switch_toggle

__all__ = ["BlockedAttemptAdmin", "EmergencySwitchAdmin", "FlaggedItemAdmin", "HeldMessageAdmin",
           "RuleChangeAdmin", "ScreeningRuleAdmin", "SwitchToggleAdmin"]


def _excerpt(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "…"


class _TextColumns:
    """The text columns of the screening records: a cleared text says so (and when) instead of showing blank."""

    @admin.display(description="text / 内容")
    def excerpt(self, obj):
        return obj.text_shown() if obj.content_cleared_at else _excerpt(obj.body)

    @admin.display(description="text / 内容")
    def text(self, obj):
        return obj.text_shown()

    @admin.display(description="measure / 处置")
    def measure(self, obj):
        return _measure_link(obj)


def _measure_link(obj) -> str:
    """One click to the measure form (admin_measures) against the sender, or the stored message when there is one."""
    message_id = getattr(obj, "message_id_ref", None)
    if message_id:
        return format_html('<a href="/admin/moderation/measure/issue/?message={}">作出处置 / Issue a measure…</a>',
                           message_id)
    if obj.sender_id:
        return format_html('<a href="/admin/moderation/measure/issue/?user={}">作出处置 / Issue a measure…</a>',
                           obj.sender_id)
    return "—"


def _context_table(lines) -> str:
    rows = format_html_join(
        "", '<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        ((' style="background:#fff3cd;font-weight:bold"' if line.this else "", line.seq or "—", line.sender,
          line.body, line.at) for line in lines))
    return format_html('<table class="screening-context"><thead><tr><th>seq</th><th>Sender / 发送者</th>'
                       '<th>Message / 消息</th><th>Time / 时间</th></tr></thead><tbody>{}</tbody></table>', rows)


# --- rules ---------------------------------------------------------------------------------------------------------


RULE_FIELDS = ("keyword", "category", "action", "pattern", "pinyin", "enabled", "note")


class RuleForm(forms.ModelForm):
    reason = forms.CharField(label="Reason for this change / 修改原因", required=False, max_length=200)

    class Meta:
        model = ScreeningRule
        fields = RULE_FIELDS

    def clean(self):
        data = super().clean()
        try:
            rule_validate(keyword=data.get("keyword", ""), category=data.get("category", ""),
                      action=data.get("action", ""), pattern=data.get("pattern", ""))
        except ApplicationError as exc:
            raise forms.ValidationError(exc.detail("en") + " / " + exc.detail("zh-hans")) from exc
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV or text file / CSV 或文本文件")
    default_category = forms.ChoiceField(label="Category for lines without one / 默认类别",
                                         choices=[("", "—"), *CATEGORY_CHOICES], required=False)
    default_action = forms.ChoiceField(label="Action for lines without one / 默认处理方式",
                                       choices=RuleAction.choices, initial=RuleAction.BLOCK)
    reason = forms.CharField(label="Reason / 原因", max_length=200, required=False)


@admin.register(ScreeningRule)
class ScreeningRuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = ("keyword", "category", "action", "enabled", "pinyin", "pattern", "updated_at")
    list_filter = ("enabled", "action", "category", "pinyin")
    search_fields = ("keyword", "key", "note")
    actions = ["enable_rules", "disable_rules", "export_selected"]
    change_list_template = "moderation/screening/rule_changelist.html"

    def has_delete_permission(self, request, obj=None):
        return False  # disable instead: the change records keep every version

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in RULE_FIELDS}
        reason = form.cleaned_data.get("reason", "")
        if change:
            saved = rule_update(actor=request.user, rule=obj, reason=reason, **data)
        else:
            saved = rule_create(actor=request.user, reason=reason, **data)
        obj.pk = saved.pk

    @admin.action(description="Enable selected rules / 启用所选规则", permissions=["change"])
    def enable_rules(self, request, queryset):
        n = rules_set_enabled(actor=request.user, rule_ids=list(queryset.values_list("pk", flat=True)), enabled=True)
        self.message_user(request, f"{n} enabled / 已启用 {n} 条")

    @admin.action(description="Disable selected rules / 停用所选规则", permissions=["change"])
    def disable_rules(self, request, queryset):
        n = rules_set_enabled(actor=request.user, rule_ids=list(queryset.values_list("pk", flat=True)),
                              enabled=False)
        self.message_user(request, f"{n} disabled / 已停用 {n} 条")

    @admin.action(description="Export all rules (CSV) / 导出全部规则", permissions=["view"])
    def export_selected(self, request, queryset):
        return self.export_view(request)

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view), name="moderation_screeningrule_import"),
                path("export/", self.admin_site.admin_view(self.export_view), name="moderation_screeningrule_export"),
                *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = HttpResponse(rules_export(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="screening-rules.csv"'
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            raw = form.cleaned_data["file"].read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                form.add_error("file", "The file must be UTF-8 text. / 文件须为 UTF-8 文本。")
            else:
                try:
                    result = rules_import(actor=request.user, text=text,
                                          default_category=form.cleaned_data["default_category"],
                                          default_action=form.cleaned_data["default_action"],
                                          reason=form.cleaned_data["reason"])
                except ApplicationError as exc:
                    form.add_error(None, exc.detail("en") + " / " + exc.detail("zh-hans"))
                else:
                    self.message_user(request, f"Imported / 已导入: {result.created} new / 新增, {result.updated} "
                                               f"changed / 修改, {result.unchanged} unchanged / 未变")
                    return HttpResponseRedirect(reverse("admin:moderation_screeningrule_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": "Import screening rules / 导入审核规则"}
        return TemplateResponse(request, "moderation/screening/import.html", context)


@admin.register(RuleChange)
class RuleChangeAdmin(ReadOnlyAdmin):
    list_display = ("id", "change", "rule_id_ref", "keyword", "actor", "reason", "created_at")
    list_filter = ("change", "created_at")
    search_fields = ("=rule_id_ref", "reason", "actor__username")
    list_select_related = ("actor",)

    @admin.display(description="keyword")
    def keyword(self, obj):
        return (obj.after or obj.before or {}).get("keyword", "")


# --- review queues ------------------------------------------------------------------------------------------------


@admin.register(BlockedAttempt)
class BlockedAttemptAdmin(_TextColumns, ReadOnlyAdmin):
    list_display = ("id", "created_at", "field", "category", "sender", "group", "excerpt", "matched", "measure")
    list_filter = ("field", "category", "created_at")
    search_fields = ("body", "sender__username", "sender__nickname", "group__code", "group__name", "client_id")
    list_select_related = ("sender", "group")
    date_hierarchy = "created_at"
    fields = ("created_at", "field", "sender", "group", "client_id", "text", "category", "rule_ids", "matched",
              "content_cleared_at", "measure")
    readonly_fields = fields


class RemoveForm(forms.Form):
    reason = forms.ChoiceField(label="Reason / 理由", choices=CATEGORY_CHOICES)


class _ReviewQueueAdmin(_TextColumns, NoAddDeleteAdmin):
    """What the held and flagged queues share: reviewers act on them; an excerpt and a link to issue a measure."""

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("moderation.review_screening")


@admin.register(HeldMessage)
class HeldMessageAdmin(_ReviewQueueAdmin):
    list_display = ("id", "created_at", "group", "sender", "excerpt", "category", "reason", "status", "decided_by",
                    "measure")
    list_filter = ("status", "reason", "category", "created_at")
    search_fields = ("body", "sender__username", "sender__nickname", "group__code", "group__name")
    list_select_related = ("sender", "group", "decided_by")
    readonly_fields = ("group", "sender", "client_id", "text", "category", "reason", "rule_ids", "status",
                       "created_at", "decided_by", "decided_at", "decision_reason", "message_id_ref",
                       "content_cleared_at", "context", "measure")
    fields = readonly_fields
    actions = ["release", "remove"]
    change_form_template = "moderation/screening/held_change_form.html"

    @admin.display(description="Context / 上下文")
    def context(self, obj):
        return _context_table(held_context(held=obj))

    def _each(self, request, ids, fn) -> None:
        done = 0
        for held_id in ids:
            try:
                fn(held_id)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"#{held_id}: {exc.detail('en')} / {exc.detail('zh-hans')}",
                                  messages.ERROR)
        if done:
            self.message_user(request, f"{done} done / 已处理 {done} 条")

    @admin.action(description="Release: deliver to the group / 通过并发送到群", permissions=["change"])
    def release(self, request, queryset):
        origin = Origin.from_request(request)
        self._each(request, queryset.values_list("pk", flat=True),
                   lambda pk: held_release(moderator=request.user, held_id=pk, origin=origin))

    @admin.action(description="Remove: never deliver, tell the sender / 删除并通知发送者", permissions=["change"])
    def remove(self, request, queryset):
        origin = Origin.from_request(request)
        reasons = dict(queryset.values_list("pk", "category"))  # one query, not one per row
        self._each(request, reasons,
                   lambda pk: held_remove(moderator=request.user, held_id=pk, reason=reasons[pk], origin=origin))

    def response_change(self, request, obj):
        """The buttons of the change page: release or remove this one message."""
        origin = Origin.from_request(request)
        try:
            if "_release" in request.POST:
                held_release(moderator=request.user, held_id=obj.pk, origin=origin)
                self.message_user(request, "Released / 已通过")
            elif "_remove" in request.POST:
                held_remove(moderator=request.user, held_id=obj.pk, reason=request.POST.get("reason", obj.category),
                            origin=origin)
                self.message_user(request, "Removed / 已删除")
        except ApplicationError as exc:
            self.message_user(request, f"{exc.detail('en')} / {exc.detail('zh-hans')}", messages.ERROR)
        return HttpResponseRedirect(reverse("admin:moderation_heldmessage_changelist") + "?status__exact=held")

    def render_change_form(self, request, context, *args, **kwargs):
        context["remove_reasons"] = CATEGORY_CHOICES
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(FlaggedItem)
class FlaggedItemAdmin(_ReviewQueueAdmin):
    list_display = ("id", "created_at", "field", "group", "sender", "excerpt", "category", "status", "decided_by",
                    "measure")
    list_filter = ("status", "field", "category", "created_at")
    search_fields = ("body", "sender__username", "sender__nickname", "group__code", "group__name")
    list_select_related = ("sender", "group", "decided_by")
    readonly_fields = ("field", "group", "sender", "client_id", "text", "category", "rule_ids", "status",
                       "created_at", "decided_by", "decided_at", "content_cleared_at", "context")
    fields = readonly_fields
    actions = ["clear", "actioned"]

    @admin.display(description="Context / 上下文")
    def context(self, obj):
        return _context_table(flagged_context(item=obj))

    @admin.action(description="Reviewed, nothing to do / 已审核，无需处理", permissions=["change"])
    def clear(self, request, queryset):
        n = flagged_review(moderator=request.user, flag_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{n} cleared / 已处理 {n} 条")

    @admin.action(description="Reviewed, acted on / 已审核并处置", permissions=["change"])
    def actioned(self, request, queryset):
        n = flagged_review(moderator=request.user, flag_ids=list(queryset.values_list("pk", flat=True)),
                           actioned=True)
        self.message_user(request, f"{n} marked / 已标记 {n} 条")


# --- emergency switches -------------------------------------------------------------------------------------------


class ToggleForm(forms.Form):
    kind = forms.ChoiceField(label="Switch / 开关", choices=SwitchKind.choices)
    scope = forms.ChoiceField(label="Scope / 范围")
    on = forms.TypedChoiceField(label="State / 状态", coerce=lambda v: v == "1",
                                choices=[("1", "ON: stop now / 开启（立即停止）"), ("0", "OFF: back to normal / 关闭（恢复）")])
    reason = forms.CharField(label="Reason (recorded) / 原因（将被记录）", max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [(PLATFORM, "Whole platform / 全平台"), *[
            (c.slug, f"{c.name_zh} / {c.name_en}") for c in GroupCategory.objects.all()]]


@admin.register(EmergencySwitch)
class EmergencySwitchAdmin(ReadOnlyAdmin):
    list_display = ("kind", "scope", "on", "changed_by", "changed_at", "reason")
    list_filter = ("on", "kind", "scope")
    change_list_template = "moderation/screening/switch_changelist.html"

    def get_urls(self):
        return [path("toggle/", self.admin_site.admin_view(self.toggle_view), name="moderation_switch_toggle"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra = {**(extra_context or {}), "may_toggle": request.user.has_perm("moderation.toggle_emergency_switch")}
        return super().changelist_view(request, extra_context=extra)

    def toggle_view(self, request: HttpRequest) -> HttpResponse:
        form = ToggleForm(request.POST or None, initial={"kind": request.GET.get("kind"),
                                                         "scope": request.GET.get("scope", PLATFORM)})
        if request.method == "POST" and form.is_valid():
            try:
                switch_toggle(actor=request.user, kind=form.cleaned_data["kind"], scope=form.cleaned_data["scope"],
                              on=form.cleaned_data["on"], reason=form.cleaned_data["reason"],
                              origin=Origin.from_request(request))
            except ApplicationError as exc:
                form.add_error(None, f"{exc.detail('en')} / {exc.detail('zh-hans')}")
            else:
                self.message_user(request, "Switch recorded; every server follows within 2 seconds. / "
                                           "已记录，所有服务器将在2秒内生效。")
                return HttpResponseRedirect(reverse("admin:moderation_emergencyswitch_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": "Toggle an emergency switch / 切换应急开关"}
        return TemplateResponse(request, "moderation/screening/toggle.html", context)


@admin.register(SwitchToggle)
class SwitchToggleAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind", "scope", "on", "actor", "reason")
    list_filter = ("kind", "scope", "on", "created_at")
    search_fields = ("reason", "actor__username")
    list_select_related = ("actor",)
