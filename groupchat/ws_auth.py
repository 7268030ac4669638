"""WebSocket authentication: the browser's session cookie, or ``?token=`` (DRF token) for non-browser clients."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from django.contrib.auth.models import AnonymousUser

from groupchat.runtime.threads import database_thread


@database_thread
def _user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    try:
        user = Token.objects.select_related("user").get(key=key).user
    except Token.DoesNotExist:
        return AnonymousUser()
    if not user.is_active:  # as DRF's TokenAuthentication: a deactivated account's token opens nothing
        return AnonymousUser()
    return user


class TokenAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [None])[0]
        if token:
            scope = dict(scope, user=await _user_for_token(token))
        return await self.inner(scope, receive, send)


def TokenOrSessionAuthMiddlewareStack(inner):
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))
