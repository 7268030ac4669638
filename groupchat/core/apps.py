from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "groupchat.core"
    label = "core"
    verbose_name = "Kernel and network log"
