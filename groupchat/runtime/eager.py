"""``EagerSender``: write frames to one socket from the channel layer's receive loop, without a task per frame.

Fan-out of one message to 2,000 local sockets used to wake 2,000 consumer tasks, each of which took the event off its
queue, decoded it, dispatched it and awaited the ASGI ``send``, one after another, so the last socket heard the
message long after the first. An ASGI server's ``send`` of a websocket frame almost never has to wait: it
frames the text and hands it to the transport. So the sender runs the ``send`` coroutine eagerly, in the caller's
stack; only when it does have to wait (the transport paused because the client reads too slowly) is the rest of that
send, and every frame after it, handed to a task of its own, so one slow client holds up nobody else. Frames keep
their order. A client whose backlog passes ``max_backlog`` frames is dropped: its socket is closed and, like any
client that reconnects, it resumes from the database (DESIGN §4).

Python 3.12's eager tasks do the same in the standard library; this is the 3.11 form.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]


class EagerSender:
    def __init__(self, send: Send, *, max_backlog: int = 1000, on_overflow: Callable[[], None] | None = None) -> None:
        self.send = send
        self.max_backlog = max_backlog
        self.on_overflow = on_overflow
        self.backlog: deque[dict[str, Any]] = deque()
        self.draining: asyncio.Task | None = None
        self.closed = False

    def write(self, message: dict[str, Any]) -> None:
        """Send ``message`` now if the socket takes it now, else after the frames already waiting."""
        if self.closed:
            return
        if self.draining is not None:
            if len(self.backlog) >= self.max_backlog:
                self._overflow()
                return
            self.backlog.append(message)
            return
        coro = self.send(message)
        try:
            waiting_on = coro.send(None)
        except StopIteration:
            return  # the usual case: framed and handed to the transport without waiting
        except Exception as exc:  # the client went away: its consumer hears the disconnect on its own
            self._gone(exc)
            return
        self.draining = asyncio.get_running_loop().create_task(self._drain(coro, waiting_on))

    async def _drain(self, coro: Coroutine, waiting_on: Any) -> None:
        try:
            await _finish(coro, waiting_on)
            while self.backlog and not self.closed:
                await self.send(self.backlog.popleft())
        except Exception as exc:
            self._gone(exc)
        finally:
            self.draining = None

    def _overflow(self) -> None:
        log.info("socket dropped: %d frames waiting for a client that does not read", len(self.backlog))
        self.close()
        if self.on_overflow is not None:
            self.on_overflow()

    def _gone(self, exc: Exception) -> None:
        log.debug("eager send failed: %r", exc)
        self.close()

    def close(self) -> None:
        self.closed = True
        self.backlog.clear()


async def _finish(coro: Coroutine, waiting_on: Any) -> None:
    """Go on running ``coro``, which has already run up to its first wait and yielded ``waiting_on`` (what a task
    would have waited for: a future, or None for a bare yield)."""
    while True:
        try:
            if waiting_on is None:
                await asyncio.sleep(0)
            else:
                # What a task does with a future its coroutine yields: the coroutine's own ``await`` marked it
                # blocking, and asyncio's C future refuses a second ``await`` while it is marked ("await wasn't used
                # with future"), so clear the mark first. Without this the first send that had to wait failed and the
                # socket silently got no more frames (found by tests/groups/test_e2e_slow_client.py).
                if getattr(waiting_on, "_asyncio_future_blocking", False):
                    waiting_on._asyncio_future_blocking = False
                await waiting_on
        except BaseException as exc:  # passed into the coroutine, as a task would
            try:
                waiting_on = coro.throw(exc)
            except StopIteration:
                return
            continue
        try:
            waiting_on = coro.send(None)
        except StopIteration:
            return
