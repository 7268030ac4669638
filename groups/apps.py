from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = _("Groups and messages")

    def ready(self) -> None:
        from .staff import staff_ready

        # The moderator's and compliance officer's view of groups, and their admin-home panels.
        staff_ready()
