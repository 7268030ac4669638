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
import io
import re
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import ThreadSensitiveContext
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware

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


# Answers a lean GET: (path match groups, request headers, query string) -> JSON body, or None to let Django answer.
LeanAnswer = Callable[..., bytes | None]


def lean_get(app, *, threads: ThreadSet, path: str, answer: LeanAnswer) -> Any:
    """Wrap the HTTP application ``app``: a GET of ``path`` (a regex with named groups) is first offered to
    ``answer(**groups, headers=..., query_string=...)`` on a request thread, without Django's request stack; when it
    returns a body, that is the 200 response, else ``app`` answers as usual.

    Security is Django's own, not a copy: the request is built as Django builds it, must pass the allowed-hosts check
    and SecurityMiddleware's request half (an HTTP request that production redirects to HTTPS goes to Django, which
    redirects), and the response passes SecurityMiddleware's and XFrameOptionsMiddleware's response halves (HSTS,
    nosniff, Referrer-Policy, COOP, X-Frame-Options), so it carries the headers the whole stack would give it."""
    pattern = re.compile(path)
    # Built once, like Django's handler builds its middleware once: they read their settings at construction.
    security = SecurityMiddleware(lambda request: None)
    frames = XFrameOptionsMiddleware(lambda request: None)

    async def handle(scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and (match := pattern.match(scope["path"])):
            request = ASGIRequest(scope, io.BytesIO())
            try:
                request.get_host()
                passes = security.process_request(request) is None
            except DisallowedHost:
                passes = False
            if passes:
                body = await threads.run(lambda: answer(**match.groupdict(), headers=scope["headers"],
                                                        query_string=scope["query_string"]))
                if body is not None:
                    response = HttpResponse(body, content_type="application/json")
                    response["Vary"] = "Accept, Authorization"
                    response["Allow"] = "GET, POST, HEAD, OPTIONS"
                    response = frames.process_response(request, security.process_response(request, response))
                    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.items()]
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
        await app(scope, receive, send)

    return handle
