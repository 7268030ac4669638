"""One command per scenario:  python -m bench.run {setup,ingest,fanout,history,scaleout,profile,queries}  [options]

Every scenario starts its own server process(es), drives them over loopback only, stops them, prints a table and
writes JSON to bench/results/. ``--targets groupchat,baseline`` (the default for ingest and fan-out) measures the
Channels-tutorial baseline side by side in the same invocation and prints groupchat/baseline ratios.
"""

from __future__ import annotations

import argparse
import fcntl
import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import redis

from . import data, driver, server
from .common import (
    BASE_REDIS_DB,
    GC_REDIS_DB,
    HOST,
    PY,
    RESULTS,
    ROOT,
    app_dir,
    app_ref,
    machine,
    percentiles,
    redis_url,
    use_app,
    write_result,
)

PUBSUB = "channels_redis.pubsub.RedisPubSubChannelLayer"


def _flush(db: int) -> None:
    redis.Redis.from_url(redis_url(db)).flushdb()


CORE = "channels_redis.core.RedisChannelLayer"


def _layer_env(layer: str) -> dict[str, str]:
    """Always explicit: the project's default layer changed (core until 1b233e7, pub/sub since)."""
    return {"CHANNEL_LAYER_BACKEND": PUBSUB if layer == "pubsub" else CORE}


VARIANT: dict[str, str] = {"value": ""}


def start_target(target: str, layer: str, *, port: int | None = None, flush: bool = True) -> server.Server:
    if target == "groupchat":
        if flush:
            _flush(GC_REDIS_DB)
        app, env = "groupchat.asgi:application", data.gc_env(_layer_env(layer))
        if VARIANT["value"]:
            app = "bench.variants:application"
            env["BENCH_VARIANTS"] = VARIANT["value"]
        return server.start("groupchat", app, env, port=port, cwd=app_dir())
    if flush:
        _flush(BASE_REDIS_DB)
    return server.start("baseline", "bench.baseline.asgi:application", data.base_env(_layer_env(layer)), port=port)


def adapter_for(target: str, srv: server.Server):
    return driver.GroupchatAdapter(srv.port) if target == "groupchat" else driver.BaselineAdapter(srv.port)


def group_for(target: str, name: str) -> str:
    return data.group_code(data.group_id_of(name)) if target == "groupchat" else name


def _load_one(target: str, name: str, spec: driver.LoadSpec, layer: str) -> dict[str, Any]:
    srv = start_target(target, layer)
    try:
        time.sleep(0.5)
        sampler = server.Sampler({target: srv.pid})
        result = driver.run(driver.run_load([adapter_for(target, srv)], [group_for(target, name)], spec,
                                            sampler=sampler))
    finally:
        srv.stop()
    return {"target": target, "layer": layer, "variant": VARIANT["value"] if target == "groupchat" else "", **result}


# --- printing ----------------------------------------------------------------------------------------------------
def _f(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def summary_row(r: dict[str, Any]) -> dict[str, Any]:
    s, d, res = r["send"], r["delivery"], r.get("resources") or {}
    pct = res.get("cpu_pct_of_one_core", {})
    label = next((k for k in pct if k.startswith("server:")), None)
    return {
        "target": f"{r['target']}" + (f" ({r['layer']})" if r.get("layer") not in (None, "core") else "")
        + (f" +{r['variant']}" if r.get("variant") else ""),
        "conns": r["connections"]["ok"],
        "acked/s": s["accepted_msgs_per_s"],
        "ack p50": s["ack_ms"]["p50"], "ack p95": s["ack_ms"]["p95"], "ack p99": s["ack_ms"]["p99"],
        "ack max": s["ack_ms"]["max"],
        "dlv/s": d["deliveries_per_s"],
        "dlv p50": d["latency_ms"]["p50"], "dlv p95": d["latency_ms"]["p95"], "dlv p99": d["latency_ms"]["p99"],
        "dlv max": d["latency_ms"]["max"],
        "expected": d["expected"], "delivered": d["delivered"], "lost": d["missing"], "dup": d["duplicated"],
        "gaps": d["seq_gaps_seen"], "ooo": d["out_of_order"],
        "errors": sum(s["errors"].values()),
        "srv cpu%": sum(v for k, v in pct.items() if k.startswith("server:")) if label else None,
        "pg cpu%": pct.get("postgres"), "redis cpu%": pct.get("redis"), "driver cpu%": pct.get("driver"),
        "others cpu s": res.get("other_cpu_s"),
        "srv peak MiB": max((res.get("peak_rss_mib") or {"": None}).values(), default=None),
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(_f(r.get(c))) for r in rows)) for c in cols}
    print(" | ".join(c.rjust(widths[c]) for c in cols))
    print("-+-".join("-" * widths[c] for c in cols))
    for r in rows:
        print(" | ".join(_f(r.get(c)).rjust(widths[c]) for c in cols))


def ratios(gc: dict[str, Any], base: dict[str, Any]) -> dict[str, float | None]:
    def ratio(a, b):
        return round(a / b, 2) if a is not None and b not in (None, 0) else None

    g, b = summary_row(gc), summary_row(base)
    keys = ["acked/s", "ack p50", "ack p95", "ack p99", "dlv/s", "dlv p50", "dlv p95", "dlv p99"]
    out = {k: ratio(g[k], b[k]) for k in keys}
    # CPU cost of one accepted message, server process only
    gsec = gc["resources"]["cpu_s"].get("server:groupchat")
    bsec = base["resources"]["cpu_s"].get("server:baseline")
    gms = gsec / max(gc["send"]["acked"], 1) * 1000 if gsec else None
    bms = bsec / max(base["send"]["acked"], 1) * 1000 if bsec else None
    out["server cpu ms/msg"] = ratio(gms, bms)
    out["_abs"] = {"groupchat_server_cpu_ms_per_msg": round(gms, 3) if gms else None,
                   "baseline_server_cpu_ms_per_msg": round(bms, 3) if bms else None}
    return out


def finish(name: str, runs: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    rows = [summary_row(r) for r in runs]
    print()
    print_table(rows)
    result: dict[str, Any] = {"scenario": name, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(), "code_under_test": app_ref(), "variant": VARIANT["value"],
                              "argv": sys.argv, "runs": runs, "table": rows, **(extra or {})}
    gc = [r for r in runs if r["target"] == "groupchat"]
    base = [r for r in runs if r["target"] == "baseline"]
    if gc and base:
        result["ratios_groupchat_over_baseline"] = [ratios(g, b) for g, b in zip(gc, base, strict=False)]
        print("\ngroupchat / baseline:", json.dumps(result["ratios_groupchat_over_baseline"], ensure_ascii=False))
    path = write_result(name, result)
    print(f"\nwritten {path.relative_to(ROOT)}")
    return result


# --- scenarios ---------------------------------------------------------------------------------------------------
def cmd_setup(a) -> None:
    t0 = time.monotonic()
    print(json.dumps(data.ensure(history=a.history, spread=a.spread, force=a.force), indent=2))
    print(f"setup in {time.monotonic() - t0:.1f}s")


def cmd_ingest(a) -> None:
    data.ensure()
    members = data.member_ids("ingest")
    spec = driver.LoadSpec(senders=members[: a.senders], receivers=members[a.senders: a.senders + a.receivers],
                           duration=a.duration, mode="closed")
    # interleaved (A B A B ...), so a burst of load from elsewhere on the box hits both targets alike
    runs = [_load_one(t, "ingest", spec, a.layer) for _ in range(a.repeat) for t in a.targets.split(",")]
    finish(f"ingest-{a.layer}", runs, {"params": vars(a)})


def cmd_fanout(a) -> None:
    data.ensure()
    members = data.member_ids("fanout")
    runs = []
    for n in [int(x) for x in a.members.split(",")]:
        spec = driver.LoadSpec(senders=members[:1], receivers=members[1: n + 1], duration=a.duration, mode="rate",
                               rate=a.rate, connect_concurrency=a.connect_concurrency, drain_max=20)
        for t in a.targets.split(","):
            r = _load_one(t, "fanout", spec, a.layer)
            r["members"] = n
            runs.append(r)
            print(f"  fanout {n} {t}: {json.dumps(summary_row(r), ensure_ascii=False)}", flush=True)
    finish(f"fanout-{a.layer}", runs, {"params": vars(a)})


def cmd_scaleout(a) -> None:
    data.ensure()
    members = data.member_ids("scaleout")[: a.members]
    _flush(GC_REDIS_DB)
    srvs = [start_target("groupchat", a.layer, flush=False) for _ in range(a.servers)]
    try:
        time.sleep(0.5)
        spec = driver.LoadSpec(senders=members[: a.senders], receivers=members[a.senders:], duration=a.duration,
                               mode="rate", rate=a.rate, drain_max=20)
        sampler = server.Sampler({f"groupchat-{s.port}": s.pid for s in srvs})
        code = group_for("groupchat", "scaleout")
        result = driver.run(driver.run_load([driver.GroupchatAdapter(s.port) for s in srvs], [code] * len(srvs), spec,
                                            sampler=sampler))
    finally:
        for s in srvs:
            s.stop()
    run = {"target": "groupchat", "layer": a.layer, "variant": VARIANT["value"], "servers": len(srvs), **result}
    finish(f"scaleout-{a.layer}", [run], {"params": vars(a)})
    print("per server:", json.dumps(result["delivery"]["per_server"]))


def _http_get(conn: http.client.HTTPConnection, path: str, token: str) -> tuple[int, float, int]:
    t0 = time.monotonic()
    conn.request("GET", path, headers={"Authorization": f"Token {token}", "Host": HOST})
    resp = conn.getresponse()
    body = resp.read()
    return resp.status, time.monotonic() - t0, len(body)


def _probe(what: str, *args: str) -> dict[str, Any]:
    out = subprocess.run([PY, "-m", "bench.probe", what, *args], cwd=app_dir(), env=data.gc_env(), capture_output=True,
                         text=True, timeout=300)
    if out.returncode != 0:
        return {"error": out.stderr[-2000:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def cmd_history(a) -> None:
    print(json.dumps(data.ensure(history=a.history, spread=a.spread)), flush=True)
    last_seq = data.history_size()
    code = data.group_code(data.group_id_of("history"))
    token = data.token_for(data.member_ids("history")[0])
    pages = {"newest": None, f"page_{a.page}_back": last_seq - (a.page - 1) * 50 + 1, "oldest": 51}
    srv = start_target("groupchat", "core")
    runs: dict[str, Any] = {}
    try:
        sampler = server.Sampler({"groupchat": srv.pid})
        sampler.start()
        for label, before in pages.items():
            path = f"/api/v1/groups/{code}/messages/?limit=50" + (f"&before={before}" if before else "")
            conn = http.client.HTTPConnection(HOST, srv.port, timeout=30)
            status, _, size = _http_get(conn, path, token)
            if status != 200:
                raise SystemExit(f"GET {path} -> {status}")
            for _ in range(10):
                _http_get(conn, path, token)
            lat = []
            deadline = time.monotonic() + a.max_seconds
            for _ in range(a.requests):
                if time.monotonic() > deadline:
                    break
                status, dt, _ = _http_get(conn, path, token)
                lat.append(dt)
            conn.close()
            # the same page from several connections at once: requests per second
            conc_lat: list[float] = []
            lock = threading.Lock()

            def worker(path=path, lat_out=conc_lat, lock=lock) -> None:
                c = http.client.HTTPConnection(HOST, srv.port, timeout=30)
                mine = []
                end = time.monotonic() + a.max_seconds
                for _ in range(a.requests // a.concurrency):
                    if time.monotonic() > end:
                        break
                    mine.append(_http_get(c, path, token)[1])
                c.close()
                with lock:
                    lat_out.extend(mine)

            t0 = time.monotonic()
            threads = [threading.Thread(target=worker) for _ in range(a.concurrency)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - t0
            runs[label] = {"before": before, "response_bytes": size, "sequential_ms": percentiles(lat),
                           f"concurrent{a.concurrency}_ms": percentiles(conc_lat),
                           f"concurrent{a.concurrency}_req_per_s": round(len(conc_lat) / wall, 1)}
            print(f"  {label}: {json.dumps(runs[label])}", flush=True)
        resources = sampler.stop()
    finally:
        srv.stop()
    explain = _probe("explain", str(a.page))
    rows = [{"page": k, "seq before": v["before"], "p50 ms": v["sequential_ms"]["p50"],
             "p95 ms": v["sequential_ms"]["p95"], "p99 ms": v["sequential_ms"]["p99"],
             f"req/s x{a.concurrency}": v[f"concurrent{a.concurrency}_req_per_s"],
             f"p95 ms x{a.concurrency}": v[f"concurrent{a.concurrency}_ms"]["p95"],
             "SQL ms (median)": (explain.get(k if k != "oldest" else "oldest_page") or {}).get("execution_ms_median")}
            for k, v in runs.items()]
    print()
    print_table(rows)
    result = {"scenario": "history", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(), "code_under_test": app_ref(), "variant": VARIANT["value"],
              "last_seq": last_seq, "pages": runs, "table": rows, "explain": explain, "resources": resources,
              "params": vars(a)}
    path = write_result("history", result)
    print(f"\nwritten {path.relative_to(ROOT)}")


def cmd_queries(a) -> None:
    data.ensure()
    out = _probe("queries")
    print(json.dumps(out, indent=2, ensure_ascii=False))
    write_result("queries", out)


def cmd_profile(a) -> None:
    """Ingest against groupchat with py-spy attached to the server; summarises where the samples fall."""
    from . import profile as prof

    data.ensure()
    members = data.member_ids("ingest")
    spec = driver.LoadSpec(senders=members[: a.senders], receivers=members[a.senders: a.senders + a.receivers],
                           duration=a.duration, mode="closed")
    srv = start_target("groupchat", a.layer)
    raw = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-pyspy-ingest.txt"
    try:
        time.sleep(0.5)
        spy_bin = shutil.which("py-spy", path=f"{Path(PY).parent}:{os.environ.get('PATH', '')}")
        if spy_bin is None:
            raise SystemExit("py-spy not found: .venv/bin/pip install py-spy")
        spy = subprocess.Popen([spy_bin, "record", "--pid", str(srv.pid), "--duration", str(int(a.duration + 3)),
                                "--rate", str(a.rate), "--format", "raw", "--threads", "--nonblocking", "-o", str(raw)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sampler = server.Sampler({"groupchat": srv.pid})
        result = driver.run(driver.run_load([adapter_for("groupchat", srv)], [group_for("groupchat", "ingest")], spec,
                                            sampler=sampler))
        _, err = spy.communicate(timeout=a.duration + 60)
        if spy.returncode:
            print(f"py-spy failed: {err.decode()[-500:]}")
    finally:
        srv.stop()
    summary = prof.summarise(raw)
    print(prof.render(summary))
    run = {"target": "groupchat", "layer": a.layer, "variant": VARIANT["value"], **result}
    finish("profile-ingest", [run], {"params": vars(a), "pyspy_raw": str(raw.relative_to(ROOT)), "profile": summary})


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variant", default="",
                   help="comma-separated what-if patches of the groupchat server (see bench/variants.py)")
    p.add_argument("--ref", default="HEAD",
                   help="git ref whose snapshot is the code under test (default HEAD), or 'worktree' for the live tree")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("setup", help="create + migrate the bench databases and generate data (COPY)")
    s.add_argument("--history", type=int, default=0, help="messages in the history group (e.g. 1000000)")
    s.add_argument("--spread", type=int, default=0, help="more messages spread over 100 other groups")
    s.add_argument("--force", action="store_true", help="drop and recreate even if present")
    s.set_defaults(fn=cmd_setup)

    def common(sp, targets="groupchat,baseline"):
        sp.add_argument("--duration", type=float, default=20.0, help="seconds of sending (bounded)")
        sp.add_argument("--targets", default=targets)
        sp.add_argument("--layer", choices=["core", "pubsub"], default="core",
                        help="channels_redis RedisChannelLayer (core) or RedisPubSubChannelLayer, for both targets")

    s = sub.add_parser("ingest", help="20 senders as fast as acks come back + 20 receivers in one group")
    common(s)
    s.add_argument("--senders", type=int, default=20)
    s.add_argument("--receivers", type=int, default=20)
    s.add_argument("--repeat", type=int, default=1)
    s.set_defaults(fn=cmd_ingest)

    s = sub.add_parser("fanout", help="N members of one group connected, one sender at --rate msgs/s")
    common(s)
    s.add_argument("--members", default="200,2000", help="comma-separated receiver counts")
    s.add_argument("--rate", type=float, default=2.0)
    s.add_argument("--connect-concurrency", type=int, default=50)
    s.set_defaults(fn=cmd_fanout)

    s = sub.add_parser("history", help="newest page and page N back of a 1,000,000-message group over HTTP")
    s.add_argument("--history", type=int, default=1_000_000)
    s.add_argument("--spread", type=int, default=200_000)
    s.add_argument("--page", type=int, default=200)
    s.add_argument("--requests", type=int, default=300)
    s.add_argument("--concurrency", type=int, default=8)
    s.add_argument("--max-seconds", type=float, default=60.0)
    s.set_defaults(fn=cmd_history)

    s = sub.add_parser("scaleout", help="two groupchat processes on the Redis layer, members spread over both")
    common(s, targets="groupchat")
    s.add_argument("--servers", type=int, default=2)
    s.add_argument("--members", type=int, default=200)
    s.add_argument("--senders", type=int, default=4)
    s.add_argument("--rate", type=float, default=5.0, help="msgs/s per sender")
    s.set_defaults(fn=cmd_scaleout)

    s = sub.add_parser("profile", help="ingest with py-spy attached to the groupchat server")
    common(s, targets="groupchat")
    s.add_argument("--senders", type=int, default=20)
    s.add_argument("--receivers", type=int, default=20)
    s.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    s.set_defaults(fn=cmd_profile)

    s = sub.add_parser("queries", help="the SQL of one send, one connect and one history GET")
    s.set_defaults(fn=cmd_queries)

    a = p.parse_args(argv)
    # One bench at a time: two runs on one box measure each other (and setup/flush would pull the rug).
    RESULTS.mkdir(parents=True, exist_ok=True)
    lock = open(RESULTS / ".lock", "w")  # held (and the lock with it) for the life of the process
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit("another bench run is in progress (bench/results/.lock)") from None
    VARIANT["value"] = a.variant
    print(f"code under test: {use_app(a.ref)['ref']}" + (f", variants {a.variant}" if a.variant else ""), flush=True)
    a.fn(a)


if __name__ == "__main__":
    main()
