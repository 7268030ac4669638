"""ASGI entry point: Django for HTTP, the chat consumer at /ws/ (origin-checked, session or token authenticated)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "groupchat.settings")

import django
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings

django.setup(set_prefix=False)

from groupchat.core.http_threads import PooledThreadsASGIHandler  # noqa: E402

django_asgi_app = PooledThreadsASGIHandler(threads=settings.GROUPCHAT["HTTP_THREADS"])

from groupchat.routing import websocket_urlpatterns  # noqa: E402  (needs the apps loaded above)
from groupchat.ws_auth import TokenOrSessionAuthMiddlewareStack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(TokenOrSessionAuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
