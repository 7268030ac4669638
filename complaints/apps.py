"""Report intake, triage, SLA, outcomes, reporter feedback and public statistics (REGULATION G12)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints and reports")

    def ready(self) -> None:
        from accounts.roles import COMPLIANCE_OFFICER, MODERATOR, role_permissions_add
        from groupchat.core.admin_panels import Panel, register_panel

        from . import errors  # noqa: F401  (registers the refusal codes)
        from .selectors import queue_counts

        # Moderators work the complaint desk and keep the holiday table and duty roster; compliance officers read
        # the cases and tickets for the regulator report.
        role_permissions_add(MODERATOR, [
            "complaints.view_case", "complaints.change_case", "complaints.handle_case", "complaints.view_complaint",
            "complaints.view_holiday", "complaints.add_holiday", "complaints.change_holiday",
            "complaints.delete_holiday", "complaints.view_dutyshift", "complaints.add_dutyshift",
            "complaints.change_dutyshift", "complaints.delete_dutyshift"])
        role_permissions_add(COMPLIANCE_OFFICER, ["complaints.view_case", "complaints.view_complaint"])
        perm = "complaints.view_case"
        section = {"section_zh": "举报处理", "section_en": "Complaints"}
        register_panel(Panel(key="complaints-open", zh="待处理举报", en="Open complaint cases", order=20,
                             url="/admin/complaints/case/?status__in=new,triaged,assigned", permission=perm,
                             count=lambda: queue_counts().open, **section))
        register_panel(Panel(key="complaints-priority", zh="主管部门转办（优先）", en="Authority referrals (priority)",
                             order=21, url="/admin/complaints/case/?priority__exact=1&status__in=new,triaged,assigned",
                             permission=perm, count=lambda: queue_counts().priority, **section))
        register_panel(Panel(key="complaints-urgent", zh="紧急举报（1小时内处理）", en="Urgent (within the hour)",
                             order=21, url="/admin/complaints/case/?urgent__exact=1&status__in=new,triaged,assigned",
                             permission=perm, count=lambda: queue_counts().urgent, **section))
        register_panel(Panel(key="complaints-overdue", zh="已超时限", en="Past their deadline", order=22,
                             url="/admin/complaints/case/?escalation__exact=overdue&status__in=new,triaged,assigned",
                             permission=perm, count=lambda: queue_counts().overdue, **section))
        register_panel(Panel(key="complaints-nearing", zh="临近时限", en="Nearing their deadline", order=23,
                             url="/admin/complaints/case/?escalation__exact=nearing&status__in=new,triaged,assigned",
                             permission=perm, count=lambda: queue_counts().nearing, **section))
        register_panel(Panel(key="complaints-refer", zh="录入转办举报", en="Enter an authority referral", order=24,
                             url="/admin/complaints/case/refer/", permission="complaints.handle_case", **section))
