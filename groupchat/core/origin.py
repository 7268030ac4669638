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
    """Where a request came from and where it arrived: what the network log (G13b) keeps for every login, group
    action, message and socket.

    ``ip``/``port``: the client's address as the ASGI server gives it. A client's own ``X-Forwarded-For`` is not read
    here: behind a reverse proxy the server resolves it, trusting only the proxies it is told of (uvicorn
    ``--proxy-headers`` with ``FORWARDED_ALLOW_IPS``; docs/architecture.md), so nobody can write another IP into the
    network log. Such a proxy usually sends only the IP, and uvicorn then gives the client port as 0 (a real peer never
    has port 0); only then is the client's source port taken from ``X-Forwarded-Port``, which the proxy sets
    (nginx: ``proxy_set_header X-Forwarded-Port $remote_port``). A direct or untrusted peer keeps its real port, and
    its header is ignored.

    ``server_ip``/``server_port``: the destination, the address and port of this server the connection arrived at
    (the 2018 security-assessment rules ask for both ends).
    """

    ip: str | None = None
    port: int | None = None
    user_agent: str = ""
    server_ip: str | None = None
    server_port: int | None = None

    @classmethod
    def from_request(cls, request) -> Origin:
        meta = request.META
        return cls(ip=_address(meta.get("REMOTE_ADDR")),
                   port=_client_port(meta.get("REMOTE_PORT"), meta.get("HTTP_X_FORWARDED_PORT")),
                   user_agent=meta.get("HTTP_USER_AGENT", "")[:_USER_AGENT_MAX],
                   server_ip=_address(meta.get("SERVER_NAME")), server_port=_port(meta.get("SERVER_PORT")))

    @classmethod
    def from_scope(cls, scope: dict) -> Origin:
        client = scope.get("client") or (None, None)
        server = scope.get("server") or (None, None)
        headers = dict(scope.get("headers") or [])
        user_agent = headers.get(b"user-agent", b"").decode("latin-1")
        forwarded_port = headers.get(b"x-forwarded-port", b"").decode("latin-1")
        return cls(ip=_address(client[0]), port=_client_port(client[1], forwarded_port),
                   user_agent=user_agent[:_USER_AGENT_MAX], server_ip=_address(server[0]), server_port=_port(server[1]))


def _client_port(peer_port: object, forwarded_port: object) -> int | None:
    """The peer's port; when the trusted proxy's address replaced the peer's (port 0), the forwarded port."""
    if str(peer_port) == "0" and forwarded_port:
        return _port(str(forwarded_port).split(",")[0].strip()) or None
    return _port(peer_port)


SYSTEM = Origin(ip=None, port=None, user_agent="system")
