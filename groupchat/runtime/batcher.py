"""Per-process batching of socket sends: one database round per batch instead of one per message.

Every consumer on this event loop submits its ``send`` frames here. While a batch is being checked, new frames queue
up; the next batch takes all of them (up to ``MAX_BATCH``). There is no timer: under light load a batch is one message
and goes at once; under heavy load batches grow by themselves, and each commit (one fsync; ``synchronous_commit``
stays on, an ack means durable) serves many senders.

Two stages on two threads, each with its own kept connection: a batch is checked (reads, rate limits, hooks) on the
database thread while the batch before it is stored and committed on the writer thread. At most one batch is being
stored at a time and batches are stored in the order they were checked, so ``seq`` order, commit order and fan-out
order stay the order of arrival. A frame retried while its original was still being stored is caught by the unique
``(sender, client_id)`` index when stored, and answered as the retry it is.
"""

from __future__ import annotations

import asyncio
import logging

from groupchat.core.dbthread import database_thread, database_writer_thread
from groupchat.core.errors import ApplicationError
from groupchat.core.rounds import Rounds

from .services.messages import SendRequest, SendResult, message_batch_check, message_batch_store

log = logging.getLogger(__name__)

MAX_BATCH = 256

Batch = list[tuple[SendRequest, asyncio.Future]]


def _settle(batch: Batch, outcomes: list) -> None:
    for (_, future), outcome in zip(batch, outcomes, strict=True):
        if future.done():
            continue
        if isinstance(outcome, ApplicationError):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _failed(batch: Batch, exc: Exception) -> None:
    """A bug or the database is down: every sender of the batch hears it, nothing half-done."""
    log.exception("send batch of %d failed", len(batch), exc_info=exc)
    _settle(batch, [exc if isinstance(exc, ApplicationError) else ApplicationError("server_error")] * len(batch))


async def _store(batch: Batch, plan) -> None:
    try:
        outcomes = await database_writer_thread(message_batch_store)(plan=plan)
    except Exception as exc:
        _failed(batch, exc)
        return
    _settle(batch, outcomes)


class _Pipeline:
    """The stages of one event loop's batches: ``storing`` is the batch on the writer thread, if any."""

    def __init__(self) -> None:
        self.storing: asyncio.Task | None = None

    async def round(self, batch: Batch) -> None:
        try:
            plan = await database_thread(message_batch_check)(requests=[r for r, _ in batch])
        except Exception as exc:
            _failed(batch, exc)
            return
        if self.storing is not None:
            await asyncio.shield(self.storing)  # the previous batch first: stores go one at a time, in order
        self.storing = asyncio.get_running_loop().create_task(_store(batch, plan))
        # Returning lets the next round be checked while this one is stored.


def _make_rounds() -> Rounds:
    pipeline = _Pipeline()
    return Rounds(pipeline.round, max_items=MAX_BATCH)


# The batcher of the running event loop (one per server process).
_batcher = Rounds.of_loop(_make_rounds)


async def submit(request: SendRequest) -> SendResult:
    """Store one socket ``send`` in the next batch; its SendResult, or the ApplicationError refusing it."""
    future = asyncio.get_running_loop().create_future()
    _batcher().put((request, future))
    return await future
