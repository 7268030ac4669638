from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from . import errors  # noqa: F401  (registers the app's refusal codes)
        from .ready_measures import ready as measures_ready
        from .ready_screening import ready as screening_ready

        # Measures, blacklist, appeals (G11a-c): path checks through hooks, staff panels, audit trail.
        measures_ready()
        # Screening (G10) and emergency switches (G5a): the message and text hooks, path checks, panels, audit.
        screening_ready()
