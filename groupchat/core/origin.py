"""Where a request came from: what the network log (G13b) keeps for every login, group action and message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Origin:
    ip: str | None = None
    port: int | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request) -> Origin:
        meta = request.META
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() if forwarded else meta.get("REMOTE_ADDR")
        port = meta.get("REMOTE_PORT")
        return cls(ip=ip or None, port=int(port) if port else None, user_agent=meta.get("HTTP_USER_AGENT", "")[:400])

    @classmethod
    def from_scope(cls, scope: dict) -> Origin:
        client = scope.get("client") or (None, None)
        headers = dict(scope.get("headers") or [])
        ip, port = client[0], client[1]
        forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
        if forwarded:
            ip = forwarded.split(",")[0].strip()
        return cls(ip=ip, port=port, user_agent=headers.get(b"user-agent", b"").decode("latin-1")[:400])


SYSTEM = Origin(ip=None, port=None, user_agent="system")
