"""The canonical form of a network-log record: what the sealer hashes and a held copy keeps.

Built from the model's concrete fields at run time, so columns added to ``LogEntry`` later are covered by every seal
made after they exist; each seal stores the column list it used, so older seals still verify the columns they saw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from django.db.models import JSONField, TextField
from django.db.models.functions import Cast

from groupchat.core.models import LogEntry

DIGEST_BYTES = 8  # per-row locator stored in a seal; the slice's full SHA-256 is what proves it


def log_columns() -> list[str]:
    """Every concrete column of the log, ``id`` first, then by name (stable whatever order fields are declared in)."""
    names = sorted(f.attname for f in LogEntry._meta.concrete_fields if f.attname != "id")
    return ["id", *names]


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return str(value)


def canonical(values: Sequence[Any]) -> bytes:
    """One row as compact JSON: a list in column order, times in ISO 8601 with their offset, JSON columns as the
    database's own normalised text of them (PostgreSQL's jsonb output: keys in a fixed order, fixed spacing)."""
    return orjson.dumps(list(values), default=_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def row_digest(values: Sequence[Any]) -> bytes:
    return hashlib.sha256(canonical(values)).digest()


def rows_of(queryset, columns: list[str], *, stream: bool = False, ordered: bool = False) -> Iterable[tuple]:
    """Rows of ``queryset`` as value tuples in ``columns`` order, id order, ready for ``canonical``; ``stream``
    reads them through a server-side cursor (for sets larger than a slice); ``ordered``: keep the queryset's order.

    JSON columns are read as the database's text of them and embedded as they are (``orjson.Fragment``): parsing
    every row's JSON only to write it out again was a quarter of what verification cost.
    """
    json_columns = {f.attname for f in LogEntry._meta.concrete_fields if isinstance(f, JSONField)}
    raw = {c: f"_canonical_{c}" for c in columns if c in json_columns}
    names = [raw.get(c, c) for c in columns]
    rows = (queryset.annotate(**{alias: Cast(c, TextField()) for c, alias in raw.items()})
            .values_list(*names))
    rows = rows if ordered else rows.order_by("id")
    # One slice is at most a minute of records: read it in one round trip. A server-side cursor (``iterator()``)
    # costs four (declare, fetch, fetch, close), and on a busy server those waits were most of verification's time.
    rows = rows.iterator(chunk_size=5000) if stream else iter(rows)
    if not raw:
        return rows
    positions = [i for i, c in enumerate(columns) if c in raw]
    return (_embed(values, positions) for values in rows)


def _embed(values: tuple, positions: list[int]) -> tuple:
    row = list(values)
    for i in positions:
        if row[i] is not None:
            row[i] = orjson.Fragment(row[i])
    return tuple(row)
