from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")  # Chinese in locale/ (合规), like every app name

    def ready(self) -> None:
        from . import checks, errors  # noqa: F401  (register the system check and the error codes)
        from .staff import staff_ready

        # The compliance officer's permissions here and the admin-home panels (dashboard, approvals, holds, seals).
        staff_ready()
