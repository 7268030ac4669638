"""The scenarios as data (``register`` at the end): a closed- or open-loop load on one group, a ceiling (rates stepped
up until a step fails), history under ingest, the tier sweep. Many groups (scenario 3) lives in bench/manygroups.py."""

from __future__ import annotations

import http.client
import multiprocessing
import statistics
import subprocess
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import data, driver, server
from .common import HOST, PY, REDIS, RESULTS, ROOT, Code, db_url, percentiles, register

# Set by the runner's global options: --pyspy HZ (a flame graph of every server process, written when it stops) and
# --variant a,b (run-time patches of the groupchat server, bench/variants.py).
GLOBAL: dict[str, Any] = {"pyspy": 0, "variant": ""}


def ints(text: str) -> list[int]:
    return [int(x) for x in str(text).split(",") if x.strip()]


@contextmanager
def serving(code: Code, db: str, target: str, n: int = 1):
    """``n`` fresh processes of ``target`` (groupchat of ``code`` on ``db``, or the baseline) on one Redis db."""
    if target == "groupchat":  # run from the bench's path entry, so bench.variants is today's
        app = "bench.variants:application" if GLOBAL["variant"] else "groupchat.asgi:application"
        srvs = server.start_many("groupchat", app, data.gc_env(code, db) | {"BENCH_VARIANTS": GLOBAL["variant"]},
                                 Path(code.pythonpath), n, REDIS["groupchat"])
    else:
        srvs = server.start_many("baseline", "bench.baseline.asgi:application", data.baseline_env(), ROOT, n,
                                 REDIS["baseline"])
    spies = [subprocess.Popen([str(Path(PY).parent / "py-spy"), "record", "--pid", str(s.pid), "--nonblocking",
                               "--rate", str(GLOBAL["pyspy"]), "-o",
                               str(RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{target}-{s.port}.svg")],
                              stdout=subprocess.DEVNULL) for s in srvs if GLOBAL["pyspy"]]
    try:
        yield srvs
    finally:
        server.stop_all(srvs)
        for spy in spies:
            spy.wait(timeout=60)


@contextmanager
def sealing(code: Code, db: str, interval: float):
    """With ``--sealer S`` (S > 0): the network log's sealer running beside the servers, every S seconds with a
    5-second settling time, so it seals the rows this run writes while the run goes on (the beat seals once a minute,
    120 s after a slice ends: the same work per row, later). Caught up before the run starts, so only this run's rows
    are sealed inside it. Yields the job's figures (filled in when the block ends), or None when off."""
    if interval <= 0:
        yield None
        return
    with data.background_job(code, db, "seal-loop", str(int(interval)), "5") as out:
        yield out


def adapters(target: str, srvs: list[server.Server]) -> list[Any]:
    return [(driver.Groupchat if target == "groupchat" else driver.Baseline)(s.port) for s in srvs]


def group_of(target: str, name: str) -> str:
    return data.group_code(data.group_id(name)) if target == "groupchat" else name


def row(label: str, r: dict[str, Any]) -> dict[str, Any]:
    """One run's figures as a table row."""
    s, d, res = r["send"], r["delivery"], r.get("resources") or {}
    pct, cpu = res.get("cpu_pct", {}), res.get("cpu_s", {})
    return {"run": label, "acked/s": s["acked_per_s"], "ack p50": s["ack_ms"]["p50"], "ack p99": s["ack_ms"]["p99"],
            "dlv/s": d["deliveries_per_s"], "dlv p50": d["latency_ms"]["p50"], "dlv p95": d["latency_ms"]["p95"],
            "dlv p99": d["latency_ms"]["p99"], "lost": d["lost"], "dup": d["duplicated"],
            "across lost": d["across_servers"]["lost"] if d["across_servers"]["expected"] else None,
            "errors": sum(s["errors"].values()) + sum(r["unexpected_closes"].values()),
            "srv cpu%": pct.get("server"), "pg cpu%": pct.get("postgres"), "redis cpu%": pct.get("redis"),
            "driver cpu%": pct.get("driver"), "other cpu%": pct.get("other"),
            "srv ms/msg": round(cpu["server"] / s["acked"] * 1000, 3) if s["acked"] and "server" in cpu else None}


def _median(rows: list[dict[str, Any]], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def load(code: Code, o) -> dict[str, Any]:
    """Senders (closed loop, or open loop at --rate each) and receivers in one group, on --servers processes each
    (a list: one run per count; sockets spread round-robin), per --targets, --repeat times interleaved (A B A B),
    so a burst of load from elsewhere on the box hits every target and count alike."""
    db = data.ensure(code)
    members = data.member_ids(o.group)
    spec = driver.LoadSpec(senders=members[:o.senders], receivers=members[o.senders:o.senders + o.receivers],
                           duration=o.duration, mode=o.mode, rate=o.rate)
    rows: list[dict[str, Any]] = []
    for _ in range(o.repeat):
        for n in ints(o.servers):
            for target in o.targets.split(","):
                with serving(code, db, target, n) as srvs, sealing(code, db, o.sealer if target == "groupchat"
                                                                   else 0) as sealer:
                    r = driver.run(driver.run_load(adapters(target, srvs), group_of(target, o.group), spec,
                                                   sampler_factory=lambda srvs=srvs: server.Sampler(srvs)))
                rows.append(row(f"{target} x{n}", r["steps"][0]))
                if sealer:
                    rows[-1] |= {"seals": sealer["result"]["seals"], "sealer cpu s": sealer["result"]["cpu_s"]}
                print(f"  {rows[-1]}", flush=True)
    first = [r for r in rows if r["run"] == f"groupchat x{ints(o.servers)[0]}"]
    out: dict[str, Any] = {"table": rows, "headline": {k: _median(first, k) for k in
                                                       ("acked/s", "ack p99", "dlv p95", "dlv p99", "lost",
                                                        "other cpu%")}}
    for n in ints(o.servers)[1:]:
        mine = [r for r in rows if r["run"] == f"groupchat x{n}"]
        out["headline"][f"x{n} acked/s"] = _median(mine, "acked/s")
        out["headline"][f"x{n} across lost"] = sum(r["across lost"] or 0 for r in mine)
    base = [r for r in rows if r["run"].startswith("baseline")]
    if base and first:  # the same work for the baseline in the same invocation
        out["headline"]["acked/s vs baseline"] = round(_median(first, "acked/s") / _median(base, "acked/s"), 2)
        if _median(first, "srv ms/msg") and _median(base, "srv ms/msg"):
            out["headline"]["srv cpu/msg vs baseline"] = round(_median(first, "srv ms/msg") /
                                                               _median(base, "srv ms/msg"), 2)
    return out


def ceiling(code: Code, o) -> dict[str, Any]:
    """One set of sockets per target and --servers count; the senders' total rate steps through --rates (open loop,
    --duration s each, each step measured on its own) until a step fails: the --pct of delivery (with --acks, of
    the ack too) over --limit ms, anything lost, a send not acked or refused, or a socket closed. The ceiling is
    the best deliveries/s (and acked/s) of a passing step."""
    db = data.ensure(code)
    members = data.member_ids(o.group)
    spec = driver.LoadSpec(senders=members[:o.senders], receivers=members[o.senders:o.senders + o.receivers],
                           duration=o.duration, mode="rate")
    rows: list[dict[str, Any]] = []
    headline: dict[str, Any] = {}
    for target in o.targets.split(","):
        for n in ints(o.servers):
            mine: list[dict[str, Any]] = []

            def on_step(rate: float, r: dict[str, Any], label=f"{target} x{n}", mine=mine) -> bool:
                why = [f"{what} {o.pct} {p[o.pct]} ms" for what, p in
                       [("delivery", r["delivery"]["latency_ms"])] + [("ack", r["send"]["ack_ms"])] * o.acks
                       if p[o.pct] is None or p[o.pct] > o.limit]
                why += [f"{k} {v}" for k, v in (("lost", r["delivery"]["lost"]), ("not acked", r["send"]["not_acked"]),
                                                ("errors", r["send"]["errors"]), ("closes", r["unexpected_closes"]))
                        if v]
                mine.append({"offered msgs/s": round(rate * o.senders, 1), **row(label, r),
                             "verdict": "; ".join(why) or "ok"})
                print(f"  {mine[-1]}", flush=True)
                return not why

            with serving(code, db, target, n) as srvs:
                driver.run(driver.run_load(adapters(target, srvs), group_of(target, o.group), spec,
                                           [float(x) / o.senders for x in o.rates.split(",")],
                                           sampler_factory=lambda srvs=srvs: server.Sampler(srvs), on_step=on_step))
            rows.extend(mine)
            ok = [r for r in mine if r["verdict"] == "ok"]
            for key in ("dlv/s", "acked/s"):
                headline[f"{target} x{n} ceiling {key}"] = max((r[key] for r in ok), default=None)
            if all(r["verdict"] == "ok" for r in mine):
                print(f"  {target} x{n}: every step passed, raise --rates to find the ceiling")
    return {"table": rows, "headline": headline}


def _http_load(ports: list[int], paths: dict[str, str], token: str, o, sql: dict[str, str], go, out_q) -> None:
    """Child process: GET ``paths`` (alternating, then over the servers) at --http-rate for --duration s once ``go``
    is set, from --http-threads keep-alive clients, and EXPLAIN ANALYZE the pages' SQL at --sql-rate alongside.
    Request i is scheduled at t0 + i/rate and timed from then: a stalled server is charged for the requests queued
    behind it."""
    import psycopg2

    go.wait(timeout=300)
    kinds, t0 = list(paths), time.monotonic()
    hard_end, n_req = t0 + o.duration + 15, int(o.http_rate * o.duration)
    recs: list[tuple[str, float, Any]] = []
    sql_recs: list[tuple[str, float]] = []

    def worker(k: int) -> None:
        conns: dict[int, http.client.HTTPConnection] = {}
        for i in range(k, n_req, o.http_threads):
            time.sleep(max(0.0, t0 + i / o.http_rate - time.monotonic()))
            kind, port = kinds[i % len(kinds)], ports[(i // len(kinds)) % len(ports)]
            if time.monotonic() > hard_end:  # the server fell so far behind that the client gives up
                recs.append((kind, 0.0, "not sent"))
                continue
            try:
                c = conns.setdefault(port, http.client.HTTPConnection(HOST, port, timeout=10))
                c.request("GET", paths[kind], headers={"Authorization": f"Token {token}"})
                resp = c.getresponse()
                resp.read()
                status: Any = resp.status
            except Exception as exc:  # counted as this request's error; reconnect for the next
                status = type(exc).__name__
                conns.pop(port, None)
            recs.append((kind, time.monotonic() - t0 - i / o.http_rate, status))

    def sql_worker() -> None:
        conn = psycopg2.connect(db_url(o.db))
        with conn.cursor() as cur:
            for j in range(int(o.sql_rate * o.duration)):
                time.sleep(max(0.0, t0 + j / o.sql_rate - time.monotonic()))
                cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql[kinds[j % len(kinds)]])
                sql_recs.append((kinds[j % len(kinds)], cur.fetchone()[0][0]["Execution Time"] / 1000))
        conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(o.http_threads)]
    threads += [threading.Thread(target=sql_worker)] if o.sql_rate else []
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, hard_end + 12 - time.monotonic()))
    out_q.put({kind: {"scheduled": sum(1 for r in recs if r[0] == kind),
                      "ok": sum(1 for r in recs if r[0] == kind and r[2] == 200),
                      "errors": dict(Counter(str(r[2]) for r in recs if r[0] == kind and r[2] != 200)),
                      "latency_ms": percentiles([r[1] for r in recs if r[0] == kind and r[2] == 200]),
                      "sql_ms": percentiles([x for k, x in sql_recs if k == kind])} for kind in kinds})


def history(code: Code, o) -> dict[str, Any]:
    """Scenario 4: the newest history page and the page --page back of a group of --history messages (--spread
    more over 100 other groups) over HTTP at --http-rate req/s, open loop, while the ingest group takes
    --ingest-rate msgs/s, on --servers processes; with the pages' SQL timed under that load."""
    o.db = db = data.ensure(code, history=o.history, spread=o.spread)
    pages = data.job(code, db, "pages", str(data.group_id("history")), str(o.page))
    gcode = data.group_code(data.group_id("history"))
    paths = {k: f"/api/v1/groups/{gcode}/messages/?limit=50" + (f"&before={b}" if b else "")
             for k, b in pages["before"].items()}
    token = data.token_for(data.member_ids("history")[0])
    members = data.member_ids("ingest")
    spec = driver.LoadSpec(senders=members[:20], receivers=members[20:], duration=o.duration + 1, mode="rate",
                           rate=o.ingest_rate / 20, drain_max=15)
    ctx = multiprocessing.get_context("fork")  # before any thread or event loop of ours exists
    go, out_q = ctx.Event(), ctx.Queue()
    with serving(code, db, "groupchat", o.servers) as srvs:
        for s, path in ((s, p) for s in srvs for p in paths.values()):  # warm each process, and check the answer
            conn = http.client.HTTPConnection(HOST, s.port, timeout=30)
            for _ in range(5):
                conn.request("GET", path, headers={"Authorization": f"Token {token}"})
                if (resp := conn.getresponse()).status != 200 or not resp.read():
                    raise SystemExit(f"GET {path} -> {resp.status}")
        child = ctx.Process(target=_http_load, daemon=True,
                            args=([s.port for s in srvs], paths, token, o, pages["sql"], go, out_q))
        child.start()
        ingest = driver.run(driver.run_load(adapters("groupchat", srvs), group_of("groupchat", "ingest"), spec,
                                            sampler_factory=lambda: server.Sampler(srvs, {child.pid: "http"}),
                                            on_start=go.set))
        pages_out = out_q.get(timeout=o.duration + 60)
        child.join(timeout=10)
    rows = [{"run": f"GET {k}", "ok": f"{v['ok']}/{v['scheduled']}", "errors": v["errors"],
             **{f"http {p}": v["latency_ms"][p] for p in ("p50", "p95", "p99", "max")},
             **{f"sql {p}": v["sql_ms"][p] for p in ("p50", "p95", "p99")}} for k, v in pages_out.items()]
    rows.append(row(f"ingest @{o.ingest_rate:g}/s", ingest["steps"][0]))
    return {"table": rows, "pages": pages_out, "last_seq": pages["last_seq"],
            "headline": {"http p95": max(r["http p95"] or 0 for r in rows[:-1]),
                         "sql p95": max(r["sql p95"] or 0 for r in rows[:-1]), "ingest ack p99": rows[-1]["ack p99"]}}


def sweep(code: Code, o) -> dict[str, Any]:
    """The daily tier sweep (G7a) over --groups groups in its own database, twice (the second changes nothing)."""
    data.migrate(code, "gc_bench_sweep")
    out = data.job(code, "gc_bench_sweep", "sweep", str(o.groups))
    rows = [{"run": f"sweep {k + 1}", **r} for k, r in enumerate(out["runs"])]
    return {"table": rows, "fill_s": out["fill_s"], "headline": {"first s": rows[0]["seconds"],
                                                                 "second s": rows[1]["seconds"]}}


LOAD = {"duration": 20.0, "servers": "1", "repeat": 1, "sealer": 0.0}
register("ingest", load, number="1", title="20 senders as fast as acks come back + 20 receivers, one group; "
         "beside the Channels-tutorial baseline", headline={"acked/s": "higher", "ack p99": "lower"},
         group="ingest", senders=20, receivers=20, mode="closed", rate=0.0, targets="groupchat,baseline", **LOAD)
register("fanout", load, number="2", title="one sender at --rate msgs/s into a group of 2,000 receivers",
         headline={"dlv p95": "lower", "dlv p99": "lower"}, group="fanout", senders=1, receivers=2000, mode="rate",
         rate=2.0, targets="groupchat", **LOAD)
register("scaleout", load, number="5", title="scenario 1 on one and on two processes (sockets spread round-robin)",
         headline={"acked/s": "higher", "x2 across lost": "lower"}, group="ingest", senders=20, receivers=20,
         mode="closed", rate=0.0, targets="groupchat", **{**LOAD, "servers": "1,2"})
CEILING = {"duration": 15.0, "servers": "1", "targets": "groupchat"}
register("fanout-ceiling", ceiling, title="deliveries/s into 2,000 members, one sender stepping up; a step passes "
         "with delivery p95 <= 250 ms", headline={"groupchat x1 ceiling dlv/s": "higher"}, group="fanout", senders=1,
         receivers=2000, rates="2,4,8,12,16,20,24", pct="p95", limit=250.0, acks=0, **CEILING)
register("ingest-ceiling", ceiling, title="scenario 1's group at stepped total rates, open loop; a step passes with "
         "ack and delivery p99 <= 100 ms", headline={"groupchat x1 ceiling acked/s": "higher"}, group="ingest",
         senders=20, receivers=20, rates="800,1000,1200,1400,1600,1800,2000", pct="p99", limit=100.0, acks=1,
         **CEILING)
register("history", history, number="4", title="history pages over HTTP at 200 req/s, 10M messages, while the ingest "
         "group takes 500 msgs/s", headline={"http p95": "lower", "sql p95": "lower"}, history=1_000_000,
         spread=9_000_000, page=200, http_rate=200.0, http_threads=32, sql_rate=20.0, ingest_rate=500.0,
         duration=30.0, servers=1)
register("sweep", sweep, title="the daily tier sweep over 100,000 groups", headline={"second s": "lower"},
         groups=100_000)
