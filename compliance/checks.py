"""System checks: the platform refuses to run with network-log retention below the legal floor (G13b, §5.7).

settings.py already refuses such an environment at import; this check also catches a value overridden after start-up
(tests, a settings module of an operator's own), since ``manage.py`` commands and the servers run the checks.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility, deploy=False)
def retention_floor_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    floor = 184  # the law's floor is fixed here too, so lowering the floor setting cannot lower the duty
    days = getattr(settings, "LOG_RETENTION_DAYS", 190)
    floor = max(floor, getattr(settings, "LOG_RETENTION_FLOOR_DAYS", floor))
    if days < floor:
        return [checks.Error(
            f"LOG_RETENTION_DAYS={days} is below the legal floor of {floor} days for network logs.",
            hint="Set GROUPCHAT_LOG_RETENTION_DAYS to 184 or more (default 190).", id="compliance.E001")]
    return []
