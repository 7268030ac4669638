"""Settings of the ASGI server process itself, applied once by groupchat/asgi.py (never by importing a module)."""

from __future__ import annotations

import sys

from django.conf import settings


def configure_server_process() -> None:
    """The thread switch interval (settings.GROUPCHAT["SWITCH_INTERVAL_MS"] says why); 0 leaves Python's default."""
    if settings.GROUPCHAT["SWITCH_INTERVAL_MS"] > 0:
        sys.setswitchinterval(settings.GROUPCHAT["SWITCH_INTERVAL_MS"] / 1000)
