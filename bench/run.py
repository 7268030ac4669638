"""One command per scenario:  python -m bench.run {setup,ingest,fanout,fanout-ceiling,ingest-ceiling,history,scaleout,profile,queries}

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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
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
FANOUT = "groupchat.core.layer.FanoutPubSubChannelLayer"  # groupchat's default: pub/sub + direct socket writes


def _flush(db: int) -> None:
    redis.Redis.from_url(redis_url(db)).flushdb()


CORE = "channels_redis.core.RedisChannelLayer"


def _layer_env(layer: str, *, app: str = "groupchat") -> dict[str, str]:
    """Always explicit: the project's default layer changed (core until 1b233e7, pub/sub since, pub/sub with direct
    socket writes since the fan-out change). The baseline uses channels_redis' own classes."""
    pubsub = FANOUT if app == "groupchat" and VARIANT["value"] != "plain-pubsub" else PUBSUB
    return {"CHANNEL_LAYER_BACKEND": pubsub if layer == "pubsub" else CORE}


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
    return server.start("baseline", "bench.baseline.asgi:application", data.base_env(_layer_env(layer, app="baseline")), port=port)


def adapter_for(target: str, srv: server.Server):
    return driver.GroupchatAdapter(srv.port) if target == "groupchat" else driver.BaselineAdapter(srv.port)


def group_for(target: str, name: str) -> str:
    return data.group_code(data.group_id_of(name)) if target == "groupchat" else name


def start_targets(target: str, layer: str, n: int) -> list[server.Server]:
    """``n`` server processes of ``target`` on one freshly flushed Redis db (they share the channel layer)."""
    _flush(GC_REDIS_DB if target == "groupchat" else BASE_REDIS_DB)
    srvs: list[server.Server] = []
    try:
        for _ in range(n):
            srvs.append(start_target(target, layer, flush=False))
    except BaseException:
        for s in srvs:
            s.stop()
        raise
    return srvs


def server_labels(target: str, srvs: list[server.Server]) -> dict[str, int]:
    """Sampler labels: the bare target name for one process (as before), ``target-port`` for several."""
    return {target: srvs[0].pid} if len(srvs) == 1 else {f"{target}-{s.port}": s.pid for s in srvs}


@dataclass
class RoleSampler(server.Sampler):
    """server.Sampler that also names some other processes of ours (e.g. the HTTP load's child process)."""

    roles: dict[int, str] = field(default_factory=dict)

    def _role(self, p, me: int) -> str:
        return self.roles.get(p.pid) or super()._role(p, me)


def _load_one(target: str, name: str, spec: driver.LoadSpec, layer: str, servers: int = 1) -> dict[str, Any]:
    """One run on ``servers`` fresh processes of ``target``; senders and receivers each spread round-robin."""
    srvs = start_targets(target, layer, servers)
    try:
        time.sleep(0.5)
        sampler = server.Sampler(server_labels(target, srvs))
        result = driver.run(driver.run_load([adapter_for(target, s) for s in srvs], [group_for(target, name)] * servers,
                                            spec, sampler=sampler))
    finally:
        for s in srvs:
            s.stop()
    return {"target": target, "layer": layer, "variant": VARIANT["value"] if target == "groupchat" else "",
            "servers": servers, **result}


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
        "target": f"{r['target']}" + (f" x{r['servers']}" if "servers" in r else "")
        + (f" ({r['layer']})" if r.get("layer") not in (None, "core") else "")
        + (f" +{r['variant']}" if r.get("variant") else "") + (f" {r['label']}" if r.get("label") else ""),
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
        "srv cpu%": round(sum(v for k, v in pct.items() if k.startswith("server:")), 1) if label else None,
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


def server_cpu_s(r: dict[str, Any]) -> float | None:
    """CPU seconds of all the run's server processes together."""
    cpu = (r.get("resources") or {}).get("cpu_s") or {}
    vals = [v for k, v in cpu.items() if k.startswith("server:")]
    return round(sum(vals), 2) if vals else None


def ratios(gc: dict[str, Any], base: dict[str, Any]) -> dict[str, float | None]:
    def ratio(a, b):
        return round(a / b, 2) if a is not None and b not in (None, 0) else None

    g, b = summary_row(gc), summary_row(base)
    keys = ["acked/s", "ack p50", "ack p95", "ack p99", "dlv/s", "dlv p50", "dlv p95", "dlv p99"]
    out = {k: ratio(g[k], b[k]) for k in keys}
    # CPU cost of one accepted message, server process only
    gsec = server_cpu_s(gc)
    bsec = server_cpu_s(base)
    gms = gsec / max(gc["send"]["acked"], 1) * 1000 if gsec else None
    bms = bsec / max(base["send"]["acked"], 1) * 1000 if bsec else None
    out["server cpu ms/msg"] = ratio(gms, bms)
    out["_abs"] = {"groupchat_server_cpu_ms_per_msg": round(gms, 3) if gms else None,
                   "baseline_server_cpu_ms_per_msg": round(bms, 3) if bms else None}
    return out


def result_header(name: str) -> dict[str, Any]:
    """What every result file starts with: the scenario, when, where, which code, variant and driver client."""
    return {"scenario": name, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
            "code_under_test": app_ref(), "variant": VARIANT["value"], "client": driver.CLIENT["value"]}


def finish(name: str, runs: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    rows = [summary_row(r) for r in runs]
    print()
    print_table(rows)
    result: dict[str, Any] = {**result_header(name), "argv": sys.argv, "runs": runs, "table": rows, **(extra or {})}
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


def _ints(text: str) -> list[int]:
    return [int(x) for x in str(text).split(",") if x.strip()]


def _floats(text: str) -> list[float]:
    return [float(x) for x in str(text).split(",") if x.strip()]


def _median(vals: list[float]) -> float | None:
    vals = sorted(v for v in vals if v is not None)
    return vals[len(vals) // 2] if vals else None


def by_servers(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per target and server count: medians over the repeats, and acked/s relative to the smallest server count."""
    rows: list[dict[str, Any]] = []
    for target in dict.fromkeys(r["target"] for r in runs):
        mine = [r for r in runs if r["target"] == target]
        first = None
        for n in sorted({r["servers"] for r in mine}):
            rs = [r for r in mine if r["servers"] == n]
            acked = _median([r["send"]["accepted_msgs_per_s"] for r in rs])
            first = first if first is not None else acked
            cross = [r["delivery"].get("across_servers") for r in rs]
            rows.append({
                "target": target, "servers": n, "runs": len(rs), "acked/s (median)": acked,
                f"x over {min(x['servers'] for x in mine)} srv": round(acked / first, 2) if acked and first else None,
                "dlv/s (median)": _median([r["delivery"]["deliveries_per_s"] for r in rs]),
                "ack p99 (median)": _median([r["send"]["ack_ms"]["p99"] for r in rs]),
                "dlv p99 (median)": _median([r["delivery"]["latency_ms"]["p99"] for r in rs]),
                "lost (sum)": sum(r["delivery"]["missing"] for r in rs),
                "cross-server dlv": sum(c["delivered"] for c in cross if c) if any(cross) else None,
                "cross-server lost": sum(c["missing"] for c in cross if c) if any(cross) else None,
                "srv cpu s/1k msgs": _median([(server_cpu_s(r) or 0) / max(r["send"]["acked"], 1) * 1000 for r in rs]),
                "srv cpu% (sum)": _median([summary_row(r)["srv cpu%"] for r in rs]),
            })
    return rows


def cmd_ingest(a) -> None:
    data.ensure()
    members = data.member_ids(a.group)
    if a.senders + a.receivers > len(members):
        raise SystemExit(f"--senders + --receivers: the {a.group} group has {len(members)} members")
    spec = driver.LoadSpec(senders=members[: a.senders], receivers=members[a.senders: a.senders + a.receivers],
                           duration=a.duration, mode="closed")
    servers = _ints(a.servers)
    # interleaved (A B A B ...), so a burst of load from elsewhere on the box hits every target and count alike
    runs = []
    for _ in range(a.repeat):
        for n in servers:
            for t in a.targets.split(","):
                runs.append(_load_one(t, a.group, spec, a.layer, n))
                print(f"  ingest {t} x{n}: {json.dumps(summary_row(runs[-1]), ensure_ascii=False)}", flush=True)
    extra: dict[str, Any] = {"params": vars(a)}
    if len(servers) > 1 or servers != [1]:
        extra["by_servers"] = by_servers(runs)
    finish(f"ingest-{a.layer}", runs, extra)
    if "by_servers" in extra:
        print("\nby server count (senders and receivers spread round-robin over the processes; "
              "cross-server = sender and receiver on different processes):")
        print_table(extra["by_servers"])


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


def _step_verdict(r: dict[str, Any], limit: float, *, pct: str = "p95", acks: bool = False) -> tuple[bool, str]:
    """A step passes with delivery ``pct`` (and with ``acks`` the ack's too) <= ``limit`` ms, nothing lost, every send
    acked and no error."""
    d, snd = r["delivery"], r["send"]
    why = []
    for what, figures in [("", d["latency_ms"])] + ([("ack ", snd["ack_ms"])] if acks else []):
        value = figures[pct]
        if value is None or value > limit:
            why.append(f"{what}{pct} {value} ms > {limit:g}" if value is not None else f"nothing {what or 'delivered'}")
    if d["missing"]:
        why.append(f"lost {d['missing']}")
    if snd["not_acked"]:
        why.append(f"not acked {snd['not_acked']}")
    if snd["errors"]:
        why.append(f"errors {snd['errors']}")
    if r.get("unexpected_closes"):
        why.append(f"closes {sum(r['unexpected_closes'].values())}")
    return (not why), "; ".join(why) or "ok"


def _step_up(a, target: str, n: int, group: str, spec: driver.LoadSpec, rates: list[float],
             verdict: Callable[[dict[str, Any]], tuple[bool, str]],
             describe: Callable[[float, dict[str, Any]], dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One set of sockets on ``n`` fresh processes of ``target`` in ``group``; each sender's rate steps through
    ``rates`` until a step fails ``verdict``. ``describe(rate, result)`` gives a step's run fields and prints its line.
    Returns the runs (each with ``ok`` and ``verdict``) and which step failed first."""
    srvs = start_targets(target, a.layer, n)
    mine: list[dict[str, Any]] = []

    def on_step(rate: float, r: dict[str, Any]) -> None:
        ok, why = verdict(r)
        mine.append({"target": target, "layer": a.layer, "variant": VARIANT["value"] if target == "groupchat" else "",
                     "servers": n, "ok": ok, "verdict": why, **describe(rate, {**r, "verdict": why}), **r})

    try:
        time.sleep(0.5)
        driver.run(driver.run_steps(
            [adapter_for(target, s) for s in srvs], [group_for(target, group)] * n, spec, rates,
            sampler_factory=lambda: server.Sampler(server_labels(target, srvs)),
            stop=lambda r: not verdict(r)[0], pause=a.pause, on_step=on_step))
    finally:
        for srv in srvs:
            srv.stop()
    return mine, {
        "first_failing_step": next(({"rate": r["rate"], "why": r["verdict"]} for r in mine if not r["ok"]), None),
        "stopped_by_rates_list": all(r["ok"] for r in mine),
    }


def _print_ceilings(steps: str, step_rows: list[dict[str, Any]], ceilings: dict[Any, dict[str, Any]],
                    line: Callable[[Any, dict[str, Any]], str]) -> None:
    print(f"\nsteps ({steps}, nothing lost, all acked, no errors):")
    print_table(step_rows)
    for key, c in ceilings.items():
        tail = (" (every step passed: raise --rates to find the limit)" if c["stopped_by_rates_list"]
                else f"; first failing step {c['first_failing_step']}")
        print(line(key, c) + tail)


def cmd_fanout_ceiling(a) -> None:
    """One sender at increasing rates into one group of --members receivers, on one set of sockets (connected once;
    each step is measured on its own after a short pause), until a step fails; per target and per --servers count
    (receivers spread round-robin over the processes: scenario 5 for a big group)."""
    data.ensure()
    members = data.member_ids("fanout")
    rates = _floats(a.rates)
    spec = driver.LoadSpec(senders=members[:1], receivers=members[1: a.members + 1], duration=a.duration, mode="rate",
                           rate=rates[0], connect_concurrency=a.connect_concurrency, drain_max=20)
    runs: list[dict[str, Any]] = []
    ceilings: dict[str, Any] = {}
    step_rows: list[dict[str, Any]] = []
    for t, n in [(t, n) for t in a.targets.split(",") for n in _ints(a.servers)]:
        name = t if n == 1 else f"{t} x{n}"

        def describe(rate: float, r: dict[str, Any], name=name) -> dict[str, Any]:
            members = r["delivery"]["receivers"]
            row = summary_row({"target": name, **r})
            step_rows.append({
                "target": name, "msgs/s": rate, "receivers": members,
                "offered dlv/s": round(rate * members, 1), "dlv/s": row["dlv/s"], "dlv p50": row["dlv p50"],
                "dlv p95": row["dlv p95"], "dlv p99": row["dlv p99"], "dlv max": row["dlv max"], "lost": row["lost"],
                "ack p99": row["ack p99"], "srv cpu%": row["srv cpu%"], "pg cpu%": row["pg cpu%"],
                "redis cpu%": row["redis cpu%"], "verdict": r["verdict"]})
            print(f"  {name} @{rate:g} msgs/s x {members}: dlv/s {row['dlv/s']}, p50/p95/p99 {row['dlv p50']}/"
                  f"{row['dlv p95']}/{row['dlv p99']} ms, lost {row['lost']}, srv cpu {row['srv cpu%']}% -> "
                  f"{r['verdict']}", flush=True)
            return {"members": members, "rate": rate, "label": f"@{rate:g}/s"}

        mine, failed = _step_up(a, t, n, "fanout", spec, rates, lambda r: _step_verdict(r, a.p95_limit), describe)
        runs.extend(mine)
        best = max((r for r in mine if r["ok"]), key=lambda r: r["delivery"]["deliveries_per_s"], default=None)
        ceilings[name] = {
            "ceiling_deliveries_per_s": best["delivery"]["deliveries_per_s"] if best else None,
            "at_rate_msgs_per_s": best["rate"] if best else None,
            "p95_ms_there": best["delivery"]["latency_ms"]["p95"] if best else None,
            **failed,
        }
    finish(f"fanout-ceiling-{a.layer}", runs, {"params": vars(a), "ceiling": ceilings, "steps": step_rows})
    _print_ceilings(f"one sender, rate per step; a step passes with delivery p95 <= {a.p95_limit:g} ms", step_rows,
                    ceilings, lambda t, c: f"ceiling {t}: {_f(c['ceiling_deliveries_per_s'])} deliveries/s at "
                                           f"{_f(c['at_rate_msgs_per_s'])} msgs/s (p95 {_f(c['p95_ms_there'])} ms)")


def cmd_ingest_ceiling(a) -> None:
    """Scenario 5 as capacity: the ingest group's senders at increasing total rates (open loop, spread evenly), on 1
    and on 2 processes, each count with one set of sockets, until a step fails; the highest accepted msgs/s that
    passes (ack and delivery p99 within the limit, nothing lost) per server count."""
    data.ensure()
    members = data.member_ids("ingest")
    rates = _floats(a.rates)
    spec = driver.LoadSpec(senders=members[: a.senders], receivers=members[a.senders: a.senders + a.receivers],
                           duration=a.duration, mode="rate", rate=rates[0] / a.senders, drain_max=20,
                           senders_on=a.senders_on)
    runs: list[dict[str, Any]] = []
    step_rows: list[dict[str, Any]] = []
    ceilings: dict[int, Any] = {}
    for n in _ints(a.servers):

        def describe(rate: float, r: dict[str, Any], n=n) -> dict[str, Any]:
            total = round(rate * a.senders, 1)
            row = summary_row({"target": "groupchat", **r})
            step_rows.append({
                "servers": n, "offered msgs/s": total, "acked/s": row["acked/s"], "ack p50": row["ack p50"],
                "ack p99": row["ack p99"], "dlv p99": row["dlv p99"], "lost": row["lost"], "srv cpu%": row["srv cpu%"],
                "pg cpu%": row["pg cpu%"], "driver cpu%": row["driver cpu%"], "verdict": r["verdict"]})
            print(f"  x{n} @{total:g} msgs/s: acked/s {row['acked/s']}, ack p99 {row['ack p99']} ms, dlv p99 "
                  f"{row['dlv p99']} ms, lost {row['lost']}, srv cpu {row['srv cpu%']}% -> {r['verdict']}", flush=True)
            return {"rate": total, "label": f"x{n} @{total:g}/s"}

        mine, failed = _step_up(a, "groupchat", n, "ingest", spec, [r / a.senders for r in rates],
                                lambda r: _step_verdict(r, a.p99_limit, pct="p99", acks=True), describe)
        runs.extend(mine)
        best = max((r for r in mine if r["ok"]), key=lambda r: r["send"]["accepted_msgs_per_s"], default=None)
        ceilings[n] = {
            "ceiling_acked_msgs_per_s": best["send"]["accepted_msgs_per_s"] if best else None,
            "at_offered_msgs_per_s": best["rate"] if best else None,
            **failed,
        }
    one = ceilings.get(1, {}).get("ceiling_acked_msgs_per_s")
    for c in ceilings.values():
        c["x_over_1_server"] = round(c["ceiling_acked_msgs_per_s"] / one, 2) if one and c["ceiling_acked_msgs_per_s"] \
            else None
    finish(f"ingest-ceiling-{a.layer}", runs, {"params": vars(a), "ceiling": ceilings, "steps": step_rows})
    _print_ceilings(f"{a.senders} senders at a fixed total rate, {a.receivers} receivers, one group; a step passes "
                    f"with ack and delivery p99 <= {a.p99_limit:g} ms", step_rows, ceilings,
                    lambda n, c: f"ceiling x{n}: {_f(c['ceiling_acked_msgs_per_s'])} acked msgs/s at "
                                 f"{_f(c['at_offered_msgs_per_s'])} offered, {_f(c['x_over_1_server'])}x one process")


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


# --- history under load ------------------------------------------------------------------------------------------
_PAGE_SQL = """
import json, sys
import django
django.setup()
from bench.probe import page_sql
from groups.models import Group
group = Group.objects.get(pk=int(sys.argv[1]))
out = {}
for kind, before in json.loads(sys.argv[2]).items():
    out[kind] = [page_sql(group, before), []]  # the page query of the code under test, as bench.probe explains it
print(json.dumps(out, default=str))
"""


def _page_sql(pages: dict[str, int | None]) -> dict[str, tuple[str, list]]:
    """The SQL (with params) Django sends for each history page, from the code under test."""
    out = subprocess.run([PY, "-c", _PAGE_SQL, str(data.group_id_of("history")), json.dumps(pages)], cwd=app_dir(),
                         env=data.gc_env(), capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"could not get the history SQL:\n{out.stderr[-2000:]}")
    return {k: (v[0], v[1]) for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def _http_open_loop(ports: list[int], paths: dict[str, str], token: str, rate: float, duration: float, threads: int,
                    sql: dict[str, tuple[str, list]], sql_rate: float, go, out_q) -> None:
    """Child process: GET ``paths`` (alternating kinds, then servers) at a fixed ``rate`` for ``duration`` seconds
    once ``go`` is set, from ``threads`` keep-alive clients, and time the pages' SQL (EXPLAIN ANALYZE) alongside.

    Request i is scheduled at t0 + i/rate and its latency runs from that scheduled time (no coordinated omission: a
    slow answer that makes the client late is charged to the server); ``late`` is how far behind schedule the client
    actually sent. Everything has a deadline; the result goes to ``out_q`` as one dict."""
    import psycopg2

    from .common import GC_DB, db_url

    try:
        if not go.wait(timeout=300):
            out_q.put({"error": "the ingest load never started"})
            return
        kinds = list(paths)
        t0 = time.monotonic()
        hard_end = t0 + duration + 15
        n_req = int(rate * duration)
        recs: list[tuple] = []
        lock = threading.Lock()
        headers = {"Authorization": f"Token {token}", "Host": HOST}

        def worker(k: int) -> None:
            conns: dict[int, http.client.HTTPConnection] = {}
            mine = []
            for i in range(k, n_req, threads):
                sched = t0 + i / rate
                now = time.monotonic()
                if now < sched:
                    time.sleep(sched - now)
                if time.monotonic() > hard_end:  # the server fell so far behind that the client gives up
                    mine.append((kinds[i % len(kinds)], 0, None, None, None, "not_sent"))
                    continue
                kind = kinds[i % len(kinds)]
                port = ports[(i // len(kinds)) % len(ports)]
                start = time.monotonic()
                try:
                    c = conns.get(port)
                    if c is None:
                        c = conns[port] = http.client.HTTPConnection(HOST, port, timeout=10)
                    c.request("GET", paths[kind], headers=headers)
                    resp = c.getresponse()
                    resp.read()
                    status: int | str = resp.status
                    if resp.will_close:
                        c.close()
                        conns.pop(port, None)
                except Exception as exc:  # counted as an error of this request; reconnect for the next
                    status = type(exc).__name__
                    conns.pop(port, None)
                done = time.monotonic()
                mine.append((kind, port, start - sched, done - sched, done - start, status))
            for c in conns.values():
                c.close()
            with lock:
                recs.extend(mine)

        sql_recs: list[tuple[str, float, float]] = []
        sql_err: Counter = Counter()

        def sql_worker() -> None:
            conn = psycopg2.connect(db_url(GC_DB))
            conn.autocommit = True
            try:
                with conn.cursor() as cur:
                    for j in range(int(sql_rate * duration)):
                        sched = t0 + j / sql_rate
                        now = time.monotonic()
                        if now < sched:
                            time.sleep(sched - now)
                        if time.monotonic() > hard_end:
                            break
                        kind = kinds[j % len(kinds)]
                        q, params = sql[kind]
                        try:
                            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + q, params)
                            plan = cur.fetchone()[0][0]
                            sql_recs.append((kind, plan["Execution Time"] / 1000, plan["Planning Time"] / 1000))
                        except psycopg2.Error as exc:
                            sql_err[type(exc).__name__] += 1
            finally:
                conn.close()

        ts = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(threads)]
        if sql and sql_rate > 0:
            ts.append(threading.Thread(target=sql_worker, daemon=True))
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=max(0.0, hard_end + 12 - time.monotonic()))
        wall = time.monotonic() - t0
        with lock:
            recs = list(recs)
        out: dict[str, Any] = {"scheduled": n_req, "rate": rate, "duration_s": duration, "threads": threads,
                               "wall_s": round(wall, 2), "pages": {}, "sql": {}, "sql_errors": dict(sql_err)}
        ok_done = [r[3] for r in recs if r[5] == 200]
        out["achieved_req_per_s"] = round(len(ok_done) / max(duration, max(ok_done, default=0.0)), 1)
        for kind in kinds:
            mine = [r for r in recs if r[0] == kind]
            ok = [r for r in mine if r[5] == 200]
            errs = Counter(str(r[5]) for r in mine if r[5] not in (200, "not_sent"))
            out["pages"][kind] = {
                "path": paths[kind], "scheduled": len(mine), "ok": len(ok), "errors": dict(errs),
                "not_sent": sum(1 for r in mine if r[5] == "not_sent"),
                "latency_ms": percentiles([r[3] for r in ok]),  # from the scheduled send time
                "service_ms": percentiles([r[4] for r in ok]),  # from the actual send
                "client_late_ms": percentiles([r[2] for r in mine if r[2] is not None]),
                "per_server": dict(Counter(r[1] for r in mine)),
            }
            out["sql"][kind] = {"execution_ms": percentiles([x[1] for x in sql_recs if x[0] == kind]),
                                "planning_ms": percentiles([x[2] for x in sql_recs if x[0] == kind])}
        out_q.put(out)
    except BaseException as exc:  # report, never hang the parent
        out_q.put({"error": repr(exc)[:2000]})


def cmd_history_under_load(a, last_seq: int, code: str, token: str, pages: dict[str, int | None],
                           fill: dict[str, Any]) -> None:
    """Scenario 4: the newest page and the page --page back at --http-rate req/s (open loop, alternating), while the
    ingest group takes --ingest-rate msgs/s (rate mode, 20 senders, 20 receivers), on --servers processes."""
    import multiprocessing

    kinds = {k: v for k, v in pages.items() if k != "oldest"}
    paths = {k: f"/api/v1/groups/{code}/messages/?limit=50" + (f"&before={v}" if v else "") for k, v in kinds.items()}
    sql = _page_sql(kinds)
    srvs = start_targets("groupchat", a.layer, a.servers)
    ctx = multiprocessing.get_context("fork")  # before any thread or event loop of ours exists
    go, out_q = ctx.Event(), ctx.Queue()
    child = None
    try:
        time.sleep(0.5)
        for srv in srvs:  # warm each process's path (and check the page answers)
            conn = http.client.HTTPConnection(HOST, srv.port, timeout=30)
            for path in paths.values():
                for _ in range(5):
                    status, _, _ = _http_get(conn, path, token)
                    if status != 200:
                        raise SystemExit(f"GET {path} on :{srv.port} -> {status}")
            conn.close()
        child = ctx.Process(target=_http_open_loop, daemon=True,
                            args=([s.port for s in srvs], paths, token, a.http_rate, a.duration, a.http_threads, sql,
                                  a.sql_rate, go, out_q))
        child.start()
        members = data.member_ids("ingest")
        spec = driver.LoadSpec(senders=members[: a.ingest_senders],
                               receivers=members[a.ingest_senders: a.ingest_senders + a.ingest_receivers],
                               duration=a.duration + 1.0, mode="rate", rate=a.ingest_rate / a.ingest_senders,
                               drain_max=15)
        sampler = RoleSampler(server_labels("groupchat", srvs), roles={child.pid: "http client"})
        ingest: dict[str, Any] | None = None
        resources = None
        if a.ingest_rate > 0:
            ingest = driver.run(driver.run_load([driver.GroupchatAdapter(s.port) for s in srvs],
                                                [group_for("groupchat", "ingest")] * len(srvs), spec, sampler=sampler,
                                                on_start=go.set))
        else:  # HTTP alone: the reference without the ingest load
            sampler.start()
            go.set()
        try:
            http_out = out_q.get(timeout=a.duration + 60)
        except Exception:  # queue.Empty: the child died or hung
            http_out = {"error": f"no result from the HTTP load process (exit code {child.exitcode})"}
        if ingest is None:
            resources = sampler.stop()
        child.join(timeout=10)
    finally:
        if child is not None and child.is_alive():
            child.terminate()
            child.join(timeout=5)
        for srv in srvs:
            srv.stop()
    explain = _probe("explain", str(a.page))
    runs = [] if ingest is None else [{"target": "groupchat", "layer": a.layer, "variant": VARIANT["value"],
                                       "servers": len(srvs), "label": f"ingest @{a.ingest_rate:g}/s + HTTP", **ingest}]
    rows = []
    for k, v in (http_out.get("pages") or {}).items():
        sq = (http_out.get("sql") or {}).get(k, {}).get("execution_ms", {})
        p95 = v["latency_ms"]["p95"]
        rows.append({
            "page": k, "seq before": kinds[k], "scheduled": v["scheduled"], "ok": v["ok"],
            "errors": sum(v["errors"].values()), "not sent": v["not_sent"], "p50 ms": v["latency_ms"]["p50"],
            "p95 ms": p95, "p99 ms": v["latency_ms"]["p99"], "max ms": v["latency_ms"]["max"],
            "service p95": v["service_ms"]["p95"], "client late p99": v["client_late_ms"]["p99"],
            "SQL p50": sq.get("p50"), "SQL p95": sq.get("p95"), "SQL p99": sq.get("p99"),
            "SQL idle median": (explain.get(k) or {}).get("execution_ms_median"),
            # every scheduled request answered 200 and p95 within 30 ms (from the scheduled send)
            "HTTP ok": "yes" if p95 is not None and p95 <= 30 and v["ok"] == v["scheduled"] else "no",
            "SQL ok": None if sq.get("p95") is None else ("yes" if sq["p95"] <= 10 else "no"),
        })
    finish("history-under-load", runs, {
        "last_seq": last_seq, "fill": fill, "http": http_out, "http_table": rows, "explain_idle": explain,
        "servers": len(srvs), "resources_http_alone": resources, "params": vars(a)})
    if "error" in http_out:
        print(f"\nHTTP load: {http_out['error']}")
    print(f"\nHTTP at {a.http_rate:g} req/s scheduled (achieved {http_out.get('achieved_req_per_s')} req/s ok), "
          f"over {len(srvs)} server process(es), latency from the scheduled send (service = from the actual send); "
          f"SQL = EXPLAIN ANALYZE execution time of the page query at {a.sql_rate:g}/s during the load (idle median: "
          f"bench.probe after it); HTTP ok = all answered 200 and p95 <= 30 ms, SQL ok = p95 <= 10 ms:")
    print_table(rows)
    if ingest is None:
        pct = (resources or {}).get("cpu_pct_of_one_core", {})
        print(f"no ingest load (--ingest-rate 0); CPU % of one core: {json.dumps(pct)}")
        return
    s, d = ingest["send"], ingest["delivery"]
    print(f"ingest meanwhile: {s['accepted_msgs_per_s']} msgs/s acked (of {a.ingest_rate:g}), ack p99 "
          f"{s['ack_ms']['p99']} ms, delivery p99 {d['latency_ms']['p99']} ms, lost {d['missing']}, "
          f"errors {sum(s['errors'].values())}")


def cmd_history(a) -> None:
    fill = data.ensure(history=a.history, spread=a.spread)
    print(json.dumps(fill), flush=True)
    last_seq = data.history_size()
    code = data.group_code(data.group_id_of("history"))
    token = data.token_for(data.member_ids("history")[0])
    pages = {"newest": None, f"page_{a.page}_back": last_seq - (a.page - 1) * 50 + 1, "oldest": 51}
    if a.under_load:
        cmd_history_under_load(a, last_seq, code, token, pages, fill)
        return
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
    result = {**result_header("history"),
              "last_seq": last_seq, "fill": fill, "pages": runs, "table": rows, "explain": explain,
              "resources": resources, "params": vars(a)}
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
    p.add_argument("--client", choices=["picows", "websockets"], default="picows",
                   help="the driver's WebSocket client library (picows: frames to a callback, in Cython; websockets: "
                        "the asyncio client that the figures before 2026-11-28 16:30 UTC were measured with)")
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
        sp.add_argument("--layer", choices=["core", "pubsub"], default="pubsub",
                        help="channels_redis RedisChannelLayer (core) or RedisPubSubChannelLayer, for both targets")

    s = sub.add_parser("ingest", help="20 senders as fast as acks come back + 20 receivers in one group")
    common(s)
    s.add_argument("--senders", type=int, default=20)
    s.add_argument("--receivers", type=int, default=20)
    s.add_argument("--repeat", type=int, default=1)
    s.add_argument("--group", choices=["ingest", "scaleout"], default="ingest",
                   help="the group: ingest (40 members) or scaleout (200 members, for more senders and receivers)")
    s.add_argument("--servers", default="1",
                   help="server processes per run on the Redis layer, senders and receivers spread round-robin; "
                        "a list (1,2) makes one run per count, interleaved with --repeat")
    s.set_defaults(fn=cmd_ingest)

    s = sub.add_parser("fanout", help="N members of one group connected, one sender at --rate msgs/s")
    common(s)
    s.add_argument("--members", default="200,2000", help="comma-separated receiver counts")
    s.add_argument("--rate", type=float, default=2.0)
    s.add_argument("--connect-concurrency", type=int, default=50)
    s.set_defaults(fn=cmd_fanout)

    s = sub.add_parser("ingest-ceiling", help="scenario 5 as capacity: the ingest group at increasing total rates "
                       "on 1 and on 2 processes; the highest acked msgs/s with ack and delivery p99 within the limit")
    common(s)
    s.add_argument("--senders", type=int, default=20)
    s.add_argument("--receivers", type=int, default=20)
    s.add_argument("--servers", default="1,2", help="server counts, one set of steps each")
    s.add_argument("--rates", default="800,1200,1600,2000,2400,2800,3200", help="total msgs/s, one step each")
    s.add_argument("--p99-limit", type=float, default=100.0, help="ack and delivery p99 (ms) a step must stay under")
    s.add_argument("--senders-on", type=int, default=None, metavar="N",
                   help="every sender on the first N processes (1: the group's writes on one 'home' process, the "
                        "other only serving receivers); default all")
    s.add_argument("--pause", type=float, default=2.0, help="seconds between steps")
    s.set_defaults(fn=cmd_ingest_ceiling, duration=10.0)

    s = sub.add_parser("fanout-ceiling", help="one sender at increasing rates into one big group: the highest "
                                              "deliveries/s with delivery p95 <= 250 ms and nothing lost")
    common(s, targets="groupchat")
    s.set_defaults(duration=15.0)
    s.add_argument("--members", type=int, default=2000, help="receivers (at most 2000)")
    s.add_argument("--servers", default="1", help="server process counts (e.g. 1,2), one set of steps each; "
                   "receivers spread round-robin over the processes")
    s.add_argument("--rates", default="2,4,6,8,10,15,20", help="msgs/s of the one sender, one step each")
    s.add_argument("--p95-limit", type=float, default=250.0, help="delivery p95 (ms) a step must stay under")
    s.add_argument("--pause", type=float, default=2.0, help="seconds between steps")
    s.add_argument("--connect-concurrency", type=int, default=50)
    s.set_defaults(fn=cmd_fanout_ceiling)

    s = sub.add_parser("history", help="newest page and page N back of a 1,000,000-message group over HTTP")
    s.add_argument("--history", type=int, default=1_000_000)
    s.add_argument("--spread", type=int, default=200_000)
    s.add_argument("--page", type=int, default=200)
    s.add_argument("--requests", type=int, default=300)
    s.add_argument("--concurrency", type=int, default=8)
    s.add_argument("--max-seconds", type=float, default=60.0)
    s.add_argument("--under-load", action="store_true",
                   help="open-loop GETs (newest / --page back, alternating) at --http-rate while the ingest group "
                        "takes --ingest-rate msgs/s, for --duration seconds, on --servers processes")
    s.add_argument("--duration", type=float, default=30.0, help="(--under-load) seconds of load")
    s.add_argument("--http-rate", type=float, default=200.0, help="(--under-load) GETs per second, all servers")
    s.add_argument("--http-threads", type=int, default=32, help="(--under-load) keep-alive HTTP clients")
    s.add_argument("--sql-rate", type=float, default=20.0,
                   help="(--under-load) EXPLAIN ANALYZE of the page queries per second during the load (0: off)")
    s.add_argument("--ingest-rate", type=float, default=500.0, help="(--under-load) msgs/s, all senders together")
    s.add_argument("--ingest-senders", type=int, default=20)
    s.add_argument("--ingest-receivers", type=int, default=20)
    s.add_argument("--servers", type=int, default=1, help="(--under-load) groupchat processes; HTTP and sockets "
                                                          "spread round-robin over them")
    s.add_argument("--layer", choices=["core", "pubsub"], default="pubsub",
                   help="(--under-load) channel layer (until this option, the under-load runs used core)")
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
    driver.CLIENT["value"] = a.client
    print(f"code under test: {use_app(a.ref)['ref']}" + (f", variants {a.variant}" if a.variant else "")
          + f", driver client {a.client}", flush=True)
    a.fn(a)


if __name__ == "__main__":
    main()
