"""``execute_prepared``: the send path's statements, planned once per database connection."""

import threading

import pytest
from django.db import connection, transaction

from groupchat.core.sql import execute_prepared

pytestmark = pytest.mark.django_db(transaction=True)

SQL = "SELECT x * $2 FROM unnest($1) AS t(x) ORDER BY x"
TYPES = ("integer[]", "integer")


def _prepared_here() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE statement LIKE %s", ["%unnest($1) AS t(x)%"])
        return [row[0] for row in cursor.fetchall()]


def _run(values, factor) -> list[int]:
    with connection.cursor() as cursor:
        execute_prepared(cursor, SQL, [values, factor], TYPES)
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_is_prepared_once_per_connection_and_answers_any_number_of_values():
    assert _run([3, 1, 2], 10) == [10, 20, 30]
    assert _run([], 10) == [] and _run([None, 5], 2) == [10, None]  # an empty or NULL-holding list keeps its type
    assert len(_prepared_here()) == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
    seen: dict[str, object] = {}

    def elsewhere() -> None:  # another thread has its own connection: it prepares its own copy
        try:
            seen["result"], seen["prepared"] = _run([7], 3), _prepared_here()
        finally:
            connection.close()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join(30)
    assert seen == {"result": [21], "prepared": _prepared_here()}


def test_a_rolled_back_transaction_keeps_the_statement_and_a_new_connection_prepares_again():
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _run([1], 1) == [1]
        raise RuntimeError
    assert _run([2], 2) == [4]
    connection.close()
    assert _run([4], 2) == [8] and len(_prepared_here()) == 1


def test_parameters_must_match_their_types():
    with pytest.raises(ValueError), connection.cursor() as cursor:
        execute_prepared(cursor, SQL, [[1]], TYPES)
