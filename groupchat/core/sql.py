"""SQL for the hot path: a multi-row INSERT without the ORM's per-object work, and prepared statements."""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models


def _preparer(field: models.Field) -> Callable[[Any], Any] | None:
    # Only the types the database driver cannot take as they are: aware datetimes (SQLite) and JSON.
    if isinstance(field, models.DateTimeField | models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                returning: str | None = None) -> list[Any]:
    """INSERT ``rows`` (tuples of values in ``columns`` order) into ``model``'s table as one statement.

    For the batched send path: ``bulk_create`` spent more Python time building and preparing model instances than
    the database took to store the rows. No model instances, no signals, no defaults: give every
    NOT NULL column. With ``returning``, the values of that column for the new rows, in ``rows`` order (PostgreSQL and
    SQLite >= 3.35 both return rows of a multi-row VALUES insert in order; Django's ``bulk_create`` relies on it too).
    """
    if not rows:
        return []
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in columns]
    preparers = [_preparer(field) for field in fields]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES {', '.join([placeholders] * len(rows))}")
    if returning:
        sql += f" RETURNING {quote(model._meta.get_field(returning).column)}"
    params = [prepare(value) if prepare else value for row in rows for prepare, value in zip(preparers, row, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()] if returning else []


# Per server connection (the psycopg2 connection object, so a reconnect starts afresh): the statements prepared on it.
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def execute_prepared(cursor, sql: str, params: Sequence[Any], types: Sequence[str]) -> None:
    """Run ``sql`` (PostgreSQL, placeholders ``$1``..``$n`` of ``types``) as a prepared statement of this connection.

    For the send path's statements, which run a hundred times a second with the same text and cost PostgreSQL more to
    plan than to run (the accounts gate statement's plan costs many times its work). Each connection prepares a
    statement on first use under a name derived from its text and types, so a changed text is a new statement. Write
    texts whose length does not depend on the data (arrays with ``unnest`` or ``= ANY``, not IN lists). Each value is
    cast to its type where it is passed (psycopg2 sends a list of str, and a list of None, as ``text[]``). A prepared
    statement outlives a rolled-back transaction; it does not survive a connection pooler in transaction mode (not
    supported: the send path needs session connections)."""
    raw = cursor.db.connection
    known = _prepared.get(raw)
    if known is None:
        # Plan each statement once: left to choose, PostgreSQL kept making a custom plan for every execution of the
        # gate statement (its generic plan's estimate looks worse, for the same plan and time), which took back most
        # of the gain. Only these statements are server-side prepared; Django's own queries are not affected. (Set
        # inside a transaction that rolls back, the setting goes back too: those statements are then planned the
        # default way, correct and a little slower.)
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        known = _prepared[raw] = set()
    if len(types) != len(params):
        raise ValueError(f"{len(params)} parameters for {len(types)} types")
    name = "gc_" + hashlib.blake2b(f"{types}{sql}".encode(), digest_size=8).hexdigest()
    if name not in known:
        cursor.execute(f"PREPARE {name}({', '.join(types)}) AS {sql}" if types else f"PREPARE {name} AS {sql}")
        known.add(name)
    cursor.execute(f"EXECUTE {name}({', '.join(f'%s::{t}' for t in types)})" if types else f"EXECUTE {name}",
                   params or None)
