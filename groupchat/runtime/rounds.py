"""Work handed in on an event loop and done in rounds: each round takes everything queued meanwhile.

The send batcher (one database transaction per round) and the broadcast outbox (one Redis pipeline per round) both
work this way: no timer, so under light load a round is one item and goes at once, and under load rounds grow by
themselves. One instance per event loop (``Rounds.of_loop``): asyncio queues and tasks belong to their loop, and tests
(and a restarted embedded server) run several loops in one process.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Rounds(Generic[T]):
    def __init__(self, handle: Callable[[list[T]], Awaitable[None]], *, max_items: int | None = None) -> None:
        self.handle = handle
        self.max_items = max_items
        self.pending: deque[T] = deque()
        self.task: asyncio.Task | None = None

    def put(self, item: T) -> None:
        """Queue ``item`` (on the running loop); a round starts now unless one is running."""
        self.pending.append(item)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self.pending:
            count = len(self.pending) if self.max_items is None else min(len(self.pending), self.max_items)
            await self.handle([self.pending.popleft() for _ in range(count)])

    @classmethod
    def of_loop(cls, factory: Callable[[], Rounds[T]]) -> Callable[[], Rounds[T]]:
        """A getter of the running loop's instance, made by ``factory`` on first use."""
        instances: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Rounds[T]] = weakref.WeakKeyDictionary()

        def get() -> Rounds[T]:
            loop = asyncio.get_running_loop()
            instance = instances.get(loop)
            if instance is None:
                instance = instances[loop] = factory()
            return instance

        return get
