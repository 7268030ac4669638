from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "合规 / Compliance: network log, retention, holds, packages"

    def ready(self) -> None:
        from . import checks, errors  # noqa: F401  (register the system check and the error codes)
        from .staff import staff_ready

        # The compliance officer's permissions here and the admin-home panels (dashboard, approvals, holds, seals).
        staff_ready()
