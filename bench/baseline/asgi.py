"""ASGI entry point of the baseline chat, as in the Channels tutorial (origin-checked WebSocket routing)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from bench.baseline.chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_asgi_app, "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns))}
)
