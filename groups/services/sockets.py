"""The network-log records of chat sockets (G13b): who opened and closed one, from where, to which server address."""

from __future__ import annotations

from accounts.models import User
from groupchat.core.events import record
from groupchat.core.origin import Origin

from ..selectors import group_codes_for_user


def socket_opened(*, user: User, origin: Origin) -> list[str]:
    """The codes of the user's groups, which the socket subscribes to: read together with the record, so a connect
    makes one trip to the database thread. Side effect: network log ``socket.connect`` (client and server address
    and port, user agent)."""
    record("socket.connect", actor_id=user.pk, origin=origin)
    return list(group_codes_for_user(user_id=user.pk))


def socket_closed(*, user: User, origin: Origin, code: int | None) -> None:
    """Side effect: network log ``socket.disconnect`` with the close code."""
    record("socket.disconnect", actor_id=user.pk, origin=origin, data={"code": code})
