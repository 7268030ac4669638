"""Every hand-written SQL statement of accounts, next to the ORM code that is its reference.

The send path reads every sender's gate state once per batch (``user_gate_rows``). Written as SQL because building
the same query with the ORM (a CASE and three nested EXISTS) cost more Python time than the database took to answer
it; on PostgreSQL a prepared statement, because planning it cost many times the work. The ORM version
(``user_gate_rows_orm``: three plain queries) serves SQLite and is what the statement is tested against
(tests/accounts/test_gate_sql.py runs both on the same users on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.db.models import Max

from groupchat.core.sql import execute_prepared

from .conf import conf
from .models import Agreement, AgreementAcceptance, GradePermission, User

# (user id, verification level, credit score, the grade table's message rate or None, is_active, agreements missing)
GateRow = tuple[int, int, int, str | None, bool, bool]

# ``cur``: the current (latest published) version of each material agreement; one is missing when the user accepted
# neither it nor a later version of its kind. The grade is the first whose floor the score reaches (CASE).
_GATE_SQL = """
WITH cur AS (SELECT kind, MAX(published_at) AS published_at FROM {agreement}
             WHERE material AND published_at <= $1 GROUP BY kind)
SELECT u.id, u.verification_level, u.credit_score, gp.message_rate, u.is_active,
  EXISTS (
    SELECT 1 FROM cur
    WHERE NOT EXISTS (SELECT 1 FROM {acceptance} c JOIN {agreement} ca ON ca.id = c.agreement_id
                      WHERE c.user_id = u.id AND ca.kind = cur.kind AND ca.published_at >= cur.published_at)
  ) AS agreements_missing
FROM {user} u LEFT JOIN {grade} gp ON gp.grade = (CASE {cases} ELSE ${lowest} END)
WHERE u.id = ANY(${ids})
"""


def _gate_sql(grades: Sequence[tuple[str, int]]) -> tuple[str, list[str]]:
    """The statement's text and parameter types for this grade table (``$2``.. are each grade's floor and name)."""
    n = len(grades) - 1
    cases = " ".join(f"WHEN u.credit_score >= ${2 + 2 * i} THEN ${3 + 2 * i}" for i in range(n))
    sql = _GATE_SQL.format(agreement=Agreement._meta.db_table, acceptance=AgreementAcceptance._meta.db_table,
                           user=User._meta.db_table, grade=GradePermission._meta.db_table, cases=cases,
                           lowest=2 + 2 * n, ids=3 + 2 * n)
    return sql, ["timestamptz", *["integer", "text"] * n, "text", "bigint[]"]


def user_gate_rows(user_ids: Sequence[int], now: datetime) -> list[GateRow]:
    """What the send gates need of each of these users, in one statement (PostgreSQL) or three queries (ORM)."""
    if connection.vendor != "postgresql":
        return user_gate_rows_orm(user_ids, now)
    grades = conf("CREDIT_GRADES")
    sql, types = _gate_sql(grades)
    params = [now, *[v for grade, floor in grades[:-1] for v in (floor, grade)], grades[-1][0], list(user_ids)]
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, params, types)
        return [(pk, level, score, rate, bool(active), bool(missing))
                for pk, level, score, rate, active, missing in cursor.fetchall()]


def user_gate_rows_orm(user_ids: Sequence[int], now: datetime) -> list[GateRow]:
    """``user_gate_rows`` with the ORM: the reference of the statement, and the SQLite path."""
    from .selectors import grade_for

    current = dict(Agreement.objects.filter(material=True, published_at__lte=now).values("kind")
                   .annotate(latest=Max("published_at")).values_list("kind", "latest"))
    accepted = {(uid, kind): latest for uid, kind, latest in AgreementAcceptance.objects
                .filter(user_id__in=user_ids, agreement__kind__in=current)
                .values("user_id", "agreement__kind").annotate(latest=Max("agreement__published_at"))
                .values_list("user_id", "agreement__kind", "latest")}
    rates = dict(GradePermission.objects.values_list("grade", "message_rate"))
    rows: list[GateRow] = []
    for pk, level, score, active in User.objects.filter(pk__in=user_ids).values_list(
            "pk", "verification_level", "credit_score", "is_active"):
        missing = any(accepted.get((pk, kind)) is None or accepted[pk, kind] < latest for kind, latest in current.items())
        rows.append((pk, level, score, rates.get(grade_for(score)), bool(active), missing))
    return rows
