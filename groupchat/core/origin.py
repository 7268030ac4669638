"""Where a request came from: what the network log (G13b) keeps for every login, group action and message."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

_USER_AGENT_MAX = 400  # LogEntry.user_agent


def _address(value: object) -> str | None:
    """The peer's IP in canonical form, or None: the network log's column is an ``inet``, and one malformed value
    must not fail the batch of other people's messages it is stored with."""
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _port(value: object) -> int | None:
    try:
        port = int(value) if value else None
    except (TypeError, ValueError):
        return None
    return port if port is not None and 0 <= port <= 65535 else None


@dataclass(frozen=True, slots=True)
class Origin:
    """The client's address as the ASGI server gives it. A client's own ``X-Forwarded-For`` is not read here: behind
    a reverse proxy the server resolves it, trusting only the proxies it is told of (uvicorn ``--proxy-headers`` with
    ``FORWARDED_ALLOW_IPS``; docs/architecture.md), so nobody can write another IP into the network log."""

    ip: str | None = None
    port: int | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request) -> Origin:
        meta = request.META
        return cls(ip=_address(meta.get("REMOTE_ADDR")), port=_port(meta.get("REMOTE_PORT")),
                   user_agent=meta.get("HTTP_USER_AGENT", "")[:_USER_AGENT_MAX])

    @classmethod
    def from_scope(cls, scope: dict) -> Origin:
        client = scope.get("client") or (None, None)
        user_agent = dict(scope.get("headers") or []).get(b"user-agent", b"").decode("latin-1")
        return cls(ip=_address(client[0]), port=_port(client[1]), user_agent=user_agent[:_USER_AGENT_MAX])


SYSTEM = Origin(ip=None, port=None, user_agent="system")
