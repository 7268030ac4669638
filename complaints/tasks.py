"""Celery tasks of the complaints app: thin, each calls one service."""

from __future__ import annotations

from celery import shared_task

from .services import sla_sweep_run


@shared_task(acks_late=True)
def sla_sweep() -> dict[str, int]:
    """G12: raise complaint cases nearing or past their deadlines (idempotent; catches up after missed runs)."""
    return sla_sweep_run()
