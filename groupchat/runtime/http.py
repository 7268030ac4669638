"""Django's ASGI handler with each request's synchronous part on one of a fixed set of long-lived threads.

Stock Django gives every HTTP request a thread of its own under ASGI. A persistent database connection then outlives
its thread (until the cyclic garbage collector finds it: under 200 history requests/s they piled up to PostgreSQL's
``max_connections``), and without persistent connections every request pays a new PostgreSQL connection (a sixth of
the server's time on the history endpoint). Here requests run on ``GROUPCHAT_HTTP_THREADS`` threads, the least busy
first, each keeping its connection, as a threaded WSGI server does. asgiref supports this directly:
``ThreadSensitiveContext(executor=...)`` with an executor the caller owns.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler

from .threads import call_on_kept_connection

R = TypeVar("R")


class ThreadSet:
    def __init__(self, size: int) -> None:
        self.executors = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"http-{i}") for i in range(size)]
        self.busy = [0] * size

    @contextlib.asynccontextmanager
    async def _least_busy(self) -> AsyncIterator[ThreadPoolExecutor]:
        i = min(range(len(self.busy)), key=self.busy.__getitem__)
        self.busy[i] += 1
        try:
            yield self.executors[i]
        finally:
            self.busy[i] -= 1

    @contextlib.asynccontextmanager
    async def context(self) -> AsyncIterator[None]:
        """Run the block's thread-sensitive calls on the least busy thread (they queue there if all are busy)."""
        async with self._least_busy() as executor, ThreadSensitiveContext(executor=executor):
            yield

    async def run(self, fn: Callable[..., R], *args) -> R:
        """``fn(*args)`` on the least busy thread, on its kept connection, without Django's request machinery."""
        async with self._least_busy() as executor:
            return await asyncio.get_running_loop().run_in_executor(executor, call_on_kept_connection, fn, *args)


class PooledThreadsASGIHandler(ASGIHandler):
    def __init__(self, threads: int) -> None:
        super().__init__()
        self.threads = ThreadSet(threads)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        async with self.threads.context():
            await self.handle(scope, receive, send)
