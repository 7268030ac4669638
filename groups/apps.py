from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = _("Groups and messages")

    def ready(self) -> None:
        from groupchat.core.hooks import register_hook

        from .screening import SEND_GATE_HOOK
        from .services.messages import send_gate_bump
        from .services.tiers import grade_table_check
        from .staff import staff_ready

        # accounts (below) edits the credit grade table; its tiers must exist and keep the grades' order (G7a).
        register_hook("grade_table.check", grade_table_check)
        # accounts (below) deactivates accounts: their groups' send gates move (groups/screening.py, send_gate.bump).
        register_hook(SEND_GATE_HOOK, send_gate_bump)

        # The moderator's and compliance officer's view of groups, and their admin-home panels.
        staff_ready()
