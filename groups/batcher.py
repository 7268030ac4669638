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

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

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
                outcomes = await sync_to_async(_send_batch, thread_sensitive=True)([r for r, _ in batch])
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


def _send_batch(requests: list[SendRequest]) -> list:
    """One batch's database work, in the database thread.

    Not through ``database_sync_to_async``: its ``close_old_connections`` would close the connection after every
    batch (connections are not persistent under ASGI, see settings) or, if kept, make the next query run the health
    check, a ``SELECT 1`` round trip per batch (~5 % of the server's time under load). This thread keeps its one
    connection instead; one that broke is closed and the batch tried once more on a new one (it rolled back whole,
    and a frame that did commit is found again by its client_id). Tests close it after each batch
    (``GROUPCHAT["SEND_KEEPS_CONNECTION"]``).
    """
    try:
        try:
            return message_send_many(requests=requests)
        except (InterfaceError, OperationalError):
            log.warning("database connection lost during a send batch; retrying once", exc_info=True)
            connection.close()
            return message_send_many(requests=requests)
    finally:
        if not settings.GROUPCHAT["SEND_KEEPS_CONNECTION"]:
            connection.close()


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SendBatcher] = weakref.WeakKeyDictionary()


def batcher() -> SendBatcher:
    """The batcher of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    instance = _batchers.get(loop)
    if instance is None:
        instance = _batchers[loop] = SendBatcher()
    return instance
