from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance: network log, retention, holds, packages"

    def ready(self) -> None:
        from . import checks, errors  # noqa: F401  (register the system check and the error codes)
