"""Per-process batching of socket sends: one database round per batch instead of one per message.

Every consumer on this event loop submits its ``send`` frames to the batcher of its loop. While a batch is being
checked, new frames queue up; the next batch takes all of them (up to ``MAX_BATCH``). There is no timer: under light
load a batch is one message and goes at once; under heavy load batches grow by themselves, and each commit (one fsync;
``synchronous_commit`` stays on, an ack means durable) serves many senders.

Two stages on two threads, each with its own kept connection: a batch is checked on the database thread while the
batch before it is stored and committed on the writer thread. At most one batch is being stored at a time and batches
are stored in the order they were checked, so ``seq`` order, commit order and fan-out order stay the order of arrival.

The batcher knows nothing of messages: the consumer hands it the domain's two synchronous halves, ``check(requests)
-> plan`` and ``store(plan) -> outcomes`` (groups.services.messages), and gets one outcome per request back; an
outcome that is an exception is raised to its sender. A failure of a whole stage reaches every sender of the batch as
``unavailable`` (retryable, with ``retry_after``) when the database is unreachable, else ``server_error``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import InterfaceError, OperationalError

from groupchat.core.errors import ApplicationError, unavailable

from .rounds import Rounds
from .threads import database_thread, database_writer_thread

log = logging.getLogger(__name__)

MAX_BATCH = 256

Req = TypeVar("Req")
Batch = list[tuple[Any, asyncio.Future]]


def _settle(batch: Batch, outcomes: list) -> None:
    for (_, future), outcome in zip(batch, outcomes, strict=True):
        if future.done():
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _failed(batch: Batch, exc: Exception) -> None:
    """The database is down, or a bug: every sender of the batch hears it, nothing half-done."""
    if isinstance(exc, OperationalError | InterfaceError):
        log.warning("send batch of %d refused, database unreachable: %s", len(batch), exc)
        error = unavailable()
    elif isinstance(exc, ApplicationError):
        error = exc
    else:
        log.exception("send batch of %d failed", len(batch), exc_info=exc)
        error = ApplicationError("server_error")
    _settle(batch, [error] * len(batch))


class Batcher(Generic[Req]):
    """The two stages of one event loop's batches: ``storing`` is the batch on the writer thread, if any."""

    def __init__(self, check: Callable[..., Any], store: Callable[..., list]) -> None:
        self.check = check
        self.store = store
        self.storing: asyncio.Task | None = None
        self.rounds: Rounds[tuple[Req, asyncio.Future]] = Rounds(self.round, max_items=MAX_BATCH)

    async def round(self, batch: Batch) -> None:
        try:
            plan = await database_thread(self.check)(requests=[r for r, _ in batch])
        except Exception as exc:
            _failed(batch, exc)
            return
        if self.storing is not None:
            await asyncio.shield(self.storing)  # the previous batch first: stores go one at a time, in order
        self.storing = asyncio.get_running_loop().create_task(self.stage_store(batch, plan))
        # Returning lets the next round be checked while this one is stored.

    async def stage_store(self, batch: Batch, plan: Any) -> None:
        try:
            outcomes = await database_writer_thread(self.store)(plan=plan)
        except Exception as exc:
            _failed(batch, exc)
            return
        _settle(batch, outcomes)

    async def submit(self, request: Req) -> Any:
        """Queue ``request`` for the next batch; its outcome (an exception outcome is raised)."""
        future = asyncio.get_running_loop().create_future()
        self.rounds.put((request, future))
        return await future


def batcher_of_loop(check: Callable[..., Any], store: Callable[..., list]) -> Callable[[], Batcher]:
    """A getter of the running loop's batcher over ``check`` and ``store`` (one per server process and loop)."""
    return Rounds.of_loop(lambda: Batcher(check, store))  # type: ignore[arg-type,return-value]
