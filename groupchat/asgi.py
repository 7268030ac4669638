"""ASGI entry point: Django for HTTP (history pages for token clients on a lean path), the chat consumer at /ws/
(origin-checked, session or token authenticated)."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "groupchat.settings")

import django
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings

django.setup(set_prefix=False)

if settings.GROUPCHAT["SWITCH_INTERVAL_MS"] > 0:  # the server process only (settings.py says why)
    sys.setswitchinterval(settings.GROUPCHAT["SWITCH_INTERVAL_MS"] / 1000)

from groupchat.core.http_threads import PooledThreadsASGIHandler  # noqa: E402

django_asgi_app = PooledThreadsASGIHandler(threads=settings.GROUPCHAT["HTTP_THREADS"])

from groupchat.routing import websocket_urlpatterns  # noqa: E402  (needs the apps loaded above)
from groupchat.ws_auth import TokenOrSessionAuthMiddlewareStack  # noqa: E402
from groups.history_fast_path import history_fast_path  # noqa: E402

application = ProtocolTypeRouter(
    {
        # History pages for token clients skip Django's request stack; everything else is Django.
        "http": history_fast_path(django_asgi_app, threads=django_asgi_app.threads),
        "websocket": AllowedHostsOriginValidator(TokenOrSessionAuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
