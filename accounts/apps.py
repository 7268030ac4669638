from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Django's auth emits these for every login path (our pages, the API and the admin alike); listening here is
        # the one place that sees all of them, so the network log (G13b) misses none.
        from django.contrib.auth import signals

        from . import services

        signals.user_logged_in.connect(services.on_user_logged_in, dispatch_uid="accounts.login")
        signals.user_logged_out.connect(services.on_user_logged_out, dispatch_uid="accounts.logout")
        signals.user_login_failed.connect(services.on_user_login_failed, dispatch_uid="accounts.login_failed")
