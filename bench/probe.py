"""In-process probes against the bench database (run as a subprocess with groupchat's environment, prints JSON):

- ``queries``: the SQL one WebSocket send and one socket connect issue (CaptureQueriesContext), and the history GET.
- ``explain``: EXPLAIN (ANALYZE, BUFFERS) of the history keyset query, newest page and ``--page`` pages back.
"""

from __future__ import annotations

import json
import re
import sys
import time

import django


def _sql(queries) -> list[str]:
    out = []
    for q in queries:
        s = re.sub(r"\s+", " ", q["sql"])
        s = re.sub(r"^SELECT .*? FROM", "SELECT … FROM", s)
        s = re.sub(r"^(INSERT INTO \S+) \(.*?\) VALUES", r"\1 (…) VALUES", s)
        out.append(s if len(s) <= 220 else s[:217] + "...")
    return out


def queries() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from accounts.models import User
    from bench.data import group_code, group_id_of, member_ids, token_for
    from groupchat.core.origin import Origin
    from groups import selectors, services

    origin = Origin(ip="127.0.0.1", port=50000, user_agent="bench-probe")
    uid = member_ids("ingest")[0]
    user = User.objects.get(pk=uid)
    code = group_code(group_id_of("ingest"))
    out: dict = {}
    stamp = int(time.time() * 1000)
    for label in ("send_first", "send_warm"):
        with CaptureQueriesContext(connection) as ctx:
            services.message_send(sender=user, group_code=code, body="probe message", client_id=f"probe-{label}-{stamp}",
                                  origin=origin)
        out[label] = {"count": len(ctx.captured_queries), "sql": _sql(ctx.captured_queries)}
    with CaptureQueriesContext(connection) as ctx:
        services.message_send(sender=user, group_code=code, body="probe message", client_id=f"probe-send_warm-{stamp}",
                              origin=origin)
    out["send_retry_same_client_id"] = {"count": len(ctx.captured_queries), "sql": _sql(ctx.captured_queries)}
    from groups.services import messages as send_module

    if hasattr(send_module, "message_send_many"):  # the batched writer: one batch of 20 senders into one group
        SendRequest = send_module.SendRequest

        senders = list(User.objects.filter(pk__in=member_ids("ingest")[:20]))
        reqs = [SendRequest(u, code, "probe message", f"probe-batch-{stamp}-{u.pk}", origin) for u in senders]
        with CaptureQueriesContext(connection) as ctx:
            send_module.message_send_many(requests=reqs)
        out["send_batch_of_20"] = {"count": len(ctx.captured_queries), "per_message": len(ctx.captured_queries) / 20,
                                   "sql": sorted(set(_sql(ctx.captured_queries)))[:40]}
    with CaptureQueriesContext(connection) as ctx:
        Token.objects.select_related("user").get(key=token_for(uid))  # what groupchat.ws_auth does
        selectors.group_codes_for_user(user_id=uid)
    out["connect"] = {"count": len(ctx.captured_queries), "sql": _sql(ctx.captured_queries),
                      "note": "token look-up + the user's group codes (session/auth middleware may add more)"}
    hist_uid = member_ids("history")[0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(hist_uid)}")
    hcode = group_code(group_id_of("history"))
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(f"/api/v1/groups/{hcode}/messages/?limit=50")
    out["history_get"] = {"status": resp.status_code, "count": len(ctx.captured_queries),
                          "sql": _sql(ctx.captured_queries)}
    return out


def page_sql(group, before: int | None) -> str:
    """The SQL the code under test sends for one history page, as sent (parameters interpolated)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from groups import selectors
    from groups.models import Message

    if hasattr(selectors, "message_page"):  # one statement since fa0b391's successor
        with CaptureQueriesContext(connection) as queries:
            selectors.message_page(group=group, before=before, limit=50)
        return queries.captured_queries[-1]["sql"]
    qs = Message.objects.filter(group=group).select_related("sender")  # older commits: the ORM query
    if before is not None:
        qs = qs.filter(seq__lt=before)
    sql, params = qs.order_by("-seq")[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        return cursor.mogrify(sql, params).decode()


def explain(page: int) -> dict:
    from django.db import connection

    from bench.data import group_id_of
    from groups.models import Group

    group = Group.objects.get(pk=group_id_of("history"))
    out = {"last_seq": group.last_seq, "rows_in_group": None}
    pages = {"newest": None, f"page_{page}_back": group.last_seq - (page - 1) * 50 + 1, "oldest_page": 51}
    for label, before in pages.items():
        sql = page_sql(group, before)
        times = []
        plan = ""
        for _ in range(7):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            m = re.search(r"Execution Time: ([\d.]+) ms", plan)
            times.append(float(m.group(1)) if m else None)
        times_ok = sorted(t for t in times if t is not None)
        out[label] = {"before": before, "execution_ms_min": times_ok[0], "execution_ms_median": times_ok[len(times_ok) // 2],
                      "plan": plan.splitlines()}
    return out


def main() -> None:
    django.setup()
    what = sys.argv[1]
    if what == "queries":
        result = queries()
    elif what == "explain":
        result = explain(int(sys.argv[2]) if len(sys.argv) > 2 else 200)
    else:
        raise SystemExit(f"unknown probe {what}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
