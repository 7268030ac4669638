"""The canonical form of a network-log record: what the sealer hashes and a held copy keeps.

Built from the model's concrete fields at run time, so columns added to ``LogEntry`` later are covered by every seal
made after they exist; each seal stores the column list it used, so older seals still verify the columns they saw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

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
    """One row as compact JSON: a list in column order, object keys sorted, times in ISO 8601 with their offset."""
    return orjson.dumps(list(values), default=_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def row_digest(values: Sequence[Any]) -> bytes:
    return hashlib.sha256(canonical(values)).digest()


def rows_of(queryset, columns: list[str]) -> Iterable[tuple]:
    """Rows of ``queryset`` as value tuples in ``columns`` order, id order, streamed."""
    return queryset.order_by("id").values_list(*columns).iterator(chunk_size=5000)
