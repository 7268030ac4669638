"""Per-process batching of socket sends: one database round per batch instead of one per message.

Every consumer on this event loop submits its ``send`` frames here. While a batch is being checked and committed in
the database thread, new frames queue up; the next batch takes all of them (up to ``MAX_BATCH``). There is no timer:
under light load a batch is one message and goes at once; under heavy load batches grow by themselves, and each
commit (one fsync; ``synchronous_commit`` stays on, an ack means durable) serves many senders.
"""

from __future__ import annotations

import asyncio
import logging

from groupchat.core.dbthread import database_thread
from groupchat.core.errors import ApplicationError
from groupchat.core.rounds import Rounds

from .services.messages import SendRequest, SendResult, message_send_many

log = logging.getLogger(__name__)

MAX_BATCH = 256


async def _send_round(batch: list[tuple[SendRequest, asyncio.Future]]) -> None:
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


# The batcher of the running event loop (one per server process).
_batcher = Rounds.of_loop(lambda: Rounds(_send_round, max_items=MAX_BATCH))


async def submit(request: SendRequest) -> SendResult:
    """Store one socket ``send`` in the next batch; its SendResult, or the ApplicationError refusing it."""
    future = asyncio.get_running_loop().create_future()
    _batcher().put((request, future))
    return await future
