"""The broadcast transport: events handed over after commit reach the channel layer from whatever thread they come.

Installed into ``groupchat.core.broadcast`` at start-up (``apps.RuntimeConfig.ready``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .layer import group_send_many
from .rounds import Rounds

log = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None
_server_thread: int | None = None


def register_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Remember the ASGI server's event loop (called by the consumer on connect).

    In embedded mode the in-memory channel layer lives on that loop; a send from another thread (the in-process
    beat) must be scheduled onto it, or the asyncio queues are touched from the wrong thread and wake late.
    """
    global _server_loop, _server_thread
    _server_loop = loop
    _server_thread = threading.get_ident()


async def _send_round(items: list[tuple[list[str], dict[str, Any]]]) -> None:
    try:
        await group_send_many(get_channel_layer(), items)  # one pipeline on the pub/sub layer, in order
    except Exception as exc:  # the layer is at-most-once by design; clients recover from the database
        log.warning("broadcast of %d events failed: %r", len(items), exc)


# Sends handed from other threads to the server loop, sent there in rounds, in the order they were handed.
_outbox = Rounds.of_loop(lambda: Rounds(_send_round))


def _enqueue(names: list[str], event: dict[str, Any]) -> None:  # runs on the server loop
    _outbox().put((names, event))


def send(names: list[str], event: dict[str, Any]) -> None:
    """The transport: on the server loop's outbox when called from another thread, else directly."""
    loop = _server_loop
    if loop is not None and loop.is_running() and not loop.is_closed() and threading.get_ident() != _server_thread:
        # From the database thread (or the embedded beat): hand the send to the server loop and go on. Waiting for it
        # held the next batch of sends behind the loop's socket writes; the outbox keeps the handed order.
        loop.call_soon_threadsafe(_enqueue, names, event)
        return
    try:
        async_to_sync(group_send_many)(get_channel_layer(), [(names, event)])
    except Exception as exc:  # the layer is at-most-once by design; clients recover from the database
        log.warning("broadcast to %s failed: %r", names[:3], exc)
