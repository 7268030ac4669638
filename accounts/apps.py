from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and identity")

    def ready(self) -> None:
        # Django's auth emits these for every login path (our pages, the API and the admin alike); listening here is
        # the one place that sees all of them, so the network log (G13b) misses none.
        from django.contrib.auth import signals
        from django.db.models.signals import post_migrate

        from . import services

        signals.user_logged_in.connect(services.on_user_logged_in, dispatch_uid="accounts.login")
        signals.user_logged_out.connect(services.on_user_logged_out, dispatch_uid="accounts.logout")
        signals.user_login_failed.connect(services.on_user_login_failed, dispatch_uid="accounts.login_failed")

        # What each staff role finds first on the admin home.
        from .admin_panels import panels_register

        panels_register()

        # The staff role Groups and the grade table exist after every migrate (and after a test flush).
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="accounts.roles")


def _ensure_roles(sender, **kwargs) -> None:
    from .credit import grade_table_ensure
    from .roles import roles_ensure

    roles_ensure()
    grade_table_ensure()
