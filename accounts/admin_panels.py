"""What each accounts staff role sees first on the admin home (groupchat.core.admin_panels), with live counts."""

from __future__ import annotations

from groupchat.core.admin_panels import Panel, register_panel


def _pending_submissions() -> int:
    from .models import IdentitySubmission, SubmissionStatus

    return IdentitySubmission.objects.filter(status=SubmissionStatus.PENDING).count()


def panels_register() -> None:
    review = {"section_zh": "实名认证审核", "section_en": "Identity review"}
    register_panel(Panel(key="identity-pending", zh="待审核的实名认证", en="Identity submissions to review", order=10,
                         url="/admin/accounts/identitysubmission/?status__exact=pending",
                         permission="accounts.review_identity", count=_pending_submissions, **review))
    records = {"section_zh": "合规记录", "section_en": "Compliance records"}
    for order, (key, zh, en, url, perm) in enumerate([
        ("network-log", "网络日志", "Network log", "/admin/core/logentry/", "core.view_logentry"),
        ("identity-reveals", "身份信息查看记录", "Identity reveal log", "/admin/accounts/identityreveal/",
         "accounts.view_identityreveal"),
        ("agreements", "协议版本", "Agreement versions", "/admin/accounts/agreement/", "accounts.change_agreement"),
        ("agreement-acceptances", "协议同意记录", "Agreement acceptances", "/admin/accounts/agreementacceptance/",
         "accounts.view_agreementacceptance"),
        ("identity-consents", "身份信息处理同意记录", "Identity consents", "/admin/accounts/identityconsent/",
         "accounts.view_identityconsent"),
        ("credit-ledger", "信用记录", "Credit ledger", "/admin/accounts/creditevent/", "accounts.view_creditevent"),
        ("grade-table", "信用等级权限表", "Grade permissions", "/admin/accounts/gradepermission/",
         "accounts.change_gradepermission"),
    ]):
        register_panel(Panel(key=key, zh=zh, en=en, url=url, permission=perm, order=60 + order, **records))
