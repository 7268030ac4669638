"""Compliance's part of the staff roles and the compliance officer's admin-home panels (registered in ready())."""

from __future__ import annotations

from accounts.roles import COMPLIANCE_OFFICER, role_permissions_add
from groupchat.core.admin_panels import Panel, register_panel

from . import selectors

OFFICER_PERMISSIONS = [
    "compliance.view_legalhold", "compliance.add_legalhold", "compliance.change_legalhold",
    "compliance.view_retentionrun", "compliance.view_heldlogentry", "compliance.view_seal",
    "compliance.verify_seals", "compliance.view_sealverification",
    "compliance.view_inspectionrequest", "compliance.add_inspectionrequest", "compliance.approve_inspectionrequest",
    "compliance.download_inspectionpackage", "compliance.view_inspectiondownload",
    "compliance.view_regulatorreport", "compliance.add_regulatorreport", "compliance.change_regulatorreport",
    "compliance.view_filingrecord", "compliance.change_filingrecord", "compliance.view_filingpackage",
    "compliance.add_filingpackage",
]


def staff_ready() -> None:
    role_permissions_add(COMPLIANCE_OFFICER, OFFICER_PERMISSIONS)
    section = {"section_zh": "合规", "section_en": "Compliance"}
    register_panel(Panel(key="compliance.dashboard", zh="合规总览", en="Compliance dashboard",
                         url="admin:compliance_dashboard", permission="compliance.view_retentionrun", order=60,
                         **section))
    register_panel(Panel(key="compliance.inspections", zh="待批准的调取请求", en="Inspection requests to approve",
                         url="/admin/compliance/inspectionrequest/?status__exact=pending",
                         permission="compliance.view_inspectionrequest", count=selectors.inspections_pending_count,
                         order=61, **section))
    register_panel(Panel(key="compliance.holds", zh="生效中的法律保全", en="Legal holds in force",
                         url="/admin/compliance/legalhold/?released_at__isempty=1",
                         permission="compliance.view_legalhold", count=selectors.holds_active_count, order=62,
                         **section))
    register_panel(Panel(key="compliance.reports", zh="待报送的监管报告", en="Regulator reports to submit",
                         url="/admin/compliance/regulatorreport/?submitted_at__isempty=1",
                         permission="compliance.view_regulatorreport", count=selectors.reports_unsubmitted_count,
                         order=64, **section))
    register_panel(Panel(key="filing-records", zh="分级分类管理备案", en="Tier system filing records",
                         url="/admin/compliance/filingrecord/", permission="compliance.view_filingrecord",
                         count=selectors.filings_unfiled_count, order=65, **section))
    register_panel(Panel(key="compliance.seals", zh="日志封存校验（失败）", en="Log seal verification (failed)",
                         url="admin:compliance_seal_verify", permission="compliance.view_seal",
                         count=selectors.seal_failures_count, order=63, **section))
