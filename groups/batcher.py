"""Per-process batching of socket sends: one database round per batch instead of one per message.

Every consumer on this event loop submits its ``send`` frames here. While a batch is being checked and committed in
the database thread, new frames queue up; the next batch takes all of them (up to ``MAX_BATCH``). There is no timer:
under light load a batch is one message and goes at once; under heavy load batches grow by themselves, and each
commit (one fsync; ``synchronous_commit`` stays on, an ack means durable) serves many senders.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from groupchat.core.dbthread import database_thread
from groupchat.core.errors import ApplicationError

from .services.messages import SendRequest, SendResult, message_send_many

log = logging.getLogger(__name__)

MAX_BATCH = 256


class SendBatcher:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[SendRequest, asyncio.Future]] = asyncio.Queue()
        self.task: asyncio.Task | None = None

    async def submit(self, request: SendRequest) -> SendResult:
        future = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((request, future))
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())
        return await future

    async def _run(self) -> None:
        while not self.queue.empty():
            batch = [self.queue.get_nowait()]
            while not self.queue.empty() and len(batch) < MAX_BATCH:
                batch.append(self.queue.get_nowait())
            try:
                outcomes = await database_thread(message_send_many)(requests=[r for r, _ in batch])
            except Exception as exc:  # a bug or the database is down: every sender hears it, nothing half-done
                log.exception("send batch of %d failed", len(batch))
                outcomes = [exc if isinstance(exc, ApplicationError) else ApplicationError("server_error")] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, ApplicationError):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SendBatcher] = weakref.WeakKeyDictionary()


def batcher() -> SendBatcher:
    """The batcher of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    instance = _batchers.get(loop)
    if instance is None:
        instance = _batchers[loop] = SendBatcher()
    return instance
