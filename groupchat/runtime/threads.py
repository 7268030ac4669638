"""``database_thread``: the socket side's database calls, on one thread that keeps its connection.

Channels' ``database_sync_to_async`` runs ``close_old_connections`` around every call. Connections are not persistent
under ASGI (settings: each HTTP request has a thread of its own), so that meant a new PostgreSQL connection for every
socket connect, resume page and send batch: 300 sockets connecting at once took 8 s, and a send batch paid a
connection health check. Every socket-side call goes to the one thread Channels uses for them anyway (asgiref's
thread-sensitive executor), and that thread keeps one connection for good.

``database_writer_thread`` is a second such thread, with a connection of its own (Django's connections are
thread-local), for the send batcher's stores: one batch commits there while the next is checked on the first.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def call_on_kept_connection(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``fn(*args, **kwargs)`` on this thread's kept connection: a lost connection is replaced and the call made once
    more (idempotent work only); in tests the connection is closed afterwards."""
    raw = None
    try:
        try:
            connection.ensure_connection()
            raw = connection.connection
            return fn(*args, **kwargs)
        except (InterfaceError, OperationalError):
            # Judged on the connection the call started with: a transaction that failed on a dropped connection has
            # already been given a new one by the time the error gets here (``atomic`` closes the broken connection
            # and turns autocommit back on, which connects again).
            if raw is not None and connection.connection is raw and connection.is_usable():
                raise  # a real database error, not a lost connection
            # The connection broke (database restarted, idle timeout): a new one, and the call once more. Only
            # idempotent work comes here: reads, the send batch (one transaction, retried frames are recognised by
            # their client_id) and read marks.
            log.warning("database connection lost in %s; reconnecting", getattr(fn, "__name__", fn))
            connection.close()
            return fn(*args, **kwargs)
    finally:
        if not settings.GROUPCHAT["DB_THREAD_KEEPS_CONNECTION"]:
            connection.close()  # tests: the test database must be droppable at the end of the run


def _on_thread(fn: Callable[P, R], **where) -> Callable[P, Awaitable[R]]:
    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return await sync_to_async(call_on_kept_connection, **where)(fn, *args, **kwargs)

    return run


def database_thread(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Like ``database_sync_to_async``, for idempotent work, on the kept connection of the database thread."""
    return _on_thread(fn, thread_sensitive=True)


_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")


def database_writer_thread(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """``database_thread`` on the one writer thread, for idempotent writes (the send batch's transaction)."""
    return _on_thread(fn, thread_sensitive=False, executor=_writer)
