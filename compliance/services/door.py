"""The append-only trigger's door (migrations/0002): ``groupchat.purge`` set for the current transaction only."""

from __future__ import annotations

from contextlib import nullcontext

from django.db import connection


def purge_door(on: bool, *, cursor=None) -> None:
    """Open (or shut again) the door for this transaction. Shutting it explicitly once the purge's statement is done
    keeps it shut for anything else an enclosing transaction might do afterwards."""
    if connection.vendor != "postgresql":
        return
    with nullcontext(cursor) if cursor is not None else connection.cursor() as own:
        own.execute("SELECT set_config('groupchat.purge', %s, true)", ["on" if on else "off"])
