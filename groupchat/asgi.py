"""ASGI entry point: Django for HTTP (on a fixed set of request threads; history pages for token clients on a lean
path with Django's security middleware), the chat consumer at /ws/ (origin-checked,
session or token authenticated). One of the two places the runtime is wired in (the other is groups/consumers.py)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "groupchat.settings")

import django
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings

django.setup(set_prefix=False)

from groupchat.runtime.http import PooledThreadsASGIHandler, lean_get  # noqa: E402
from groupchat.runtime.process import configure_server_process  # noqa: E402

configure_server_process()  # the server process only (settings.py says why)

django_asgi_app = PooledThreadsASGIHandler(threads=settings.GROUPCHAT["HTTP_THREADS"])

from groupchat.routing import websocket_urlpatterns  # noqa: E402  (needs the apps loaded above)
from groupchat.ws_auth import TokenOrSessionAuthMiddlewareStack  # noqa: E402
from groups.history import HISTORY_PATH, history_token_answer  # noqa: E402

application = ProtocolTypeRouter(
    {
        # History pages for token clients (the one read that comes at hundreds a second) skip Django's request stack
        # but not its security: see lean_get. Everything else, and every refusal, is Django.
        "http": lean_get(django_asgi_app, threads=django_asgi_app.threads, path=HISTORY_PATH,
                         answer=history_token_answer),
        "websocket": AllowedHostsOriginValidator(TokenOrSessionAuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
