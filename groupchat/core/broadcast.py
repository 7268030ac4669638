"""The broadcast API: tell connected sockets about a change only once it is durable.

Services call ``broadcast_on_commit`` (or ``notify_user_on_commit``) inside their transaction; the event is handed to
the transport after commit. The transport (the channel layer, its event-loop hand-off and batching) is runtime
machinery: ``groupchat.runtime`` installs it at start-up with ``set_transport``, so nothing here, and nothing of the
domain, imports channels or asgiref. The channel layer is at-most-once; the database stays the truth and clients
resume from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)

Transport = Callable[[list[str], dict[str, Any]], None]


def _no_transport(names: list[str], event: dict[str, Any]) -> None:
    log.debug("no broadcast transport installed; dropped %s for %s", event.get("type"), names[:3])


_transport: Transport = _no_transport


def set_transport(fn: Transport) -> None:
    """Install the function that sends ``event`` to the channel-layer groups ``names`` (groupchat.runtime does)."""
    global _transport
    _transport = fn


def user_channel_group(user_id: int) -> str:
    return f"user.{user_id}"


def group_channel_group(code: str) -> str:
    return f"group.{code}"


def broadcast_now(names: Iterable[str], event: dict[str, Any]) -> None:
    names = list(names)
    if names:
        _transport(names, event)


def broadcast_on_commit(names: Iterable[str], event: dict[str, Any]) -> None:
    """Send ``event`` to the channel-layer groups ``names`` after the current transaction commits."""
    names = list(names)
    transaction.on_commit(lambda: broadcast_now(names, event))


def notify_user_on_commit(user_id: int, text: str, *, level: str = "info") -> None:
    """A ``notice`` frame to every open socket of the user, after the current transaction commits."""
    broadcast_on_commit([user_channel_group(user_id)], {"type": "user.notice", "level": level, "text": text})
