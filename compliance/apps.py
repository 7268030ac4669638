from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")  # Chinese in locale/ (合规), like every app name

    def ready(self) -> None:
        from groupchat.core import filing
        from groupchat.core.hooks import register_hook

        from . import checks, errors  # noqa: F401  (register the system check and the error codes)
        from .selectors import filing_pending
        from .services.filing import filing_changed
        from .staff import staff_ready

        # Groups' tier and category edits and accounts' grade table (below) change the filed tier system (G7a).
        register_hook(filing.CHANGED, filing_changed)
        register_hook(filing.PENDING, filing_pending)

        # The compliance officer's permissions here and the admin-home panels (dashboard, approvals, holds, seals).
        staff_ready()
