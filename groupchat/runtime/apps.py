from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    name = "groupchat.runtime"
    label = "runtime"
    verbose_name = "Runtime (sockets, threads, channel layer)"

    def ready(self) -> None:
        # The one place the domain's broadcast API is connected to the channel layer (every process: server, worker).
        from groupchat.core import broadcast

        from . import fanout

        broadcast.set_transport(fanout.send)
