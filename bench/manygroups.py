"""Scenario 3, many groups: --users sockets, each user in --groups-per-user groups of --group-size, one "big" user
in --big-groups of them; --active-groups groups talk at --rate msgs/s each.

Its own database (one per layout and schema). Layout, deterministic: each of --groups-per-user rounds shuffles the
users and cuts them into groups, so a user is in one group per round and never twice in a group; the big user is
added to --big-groups of them, spread evenly. Phases, each with a deadline:

a. every user's socket connects (TCP connect -> ``hello``, sent once subscribed to all its groups); after
   --idle-wait s, the servers' RSS is "the memory for N idle connections" (budget < 1.5 GB).
b. the big user connects --big-runs times while the N sockets idle (TCP connect -> ``hello``, budget <= 200 ms),
   and each time a member sends into the last group of its ``hello`` and the big user must receive it.
c. --active-groups groups, one member each sending --rate msgs/s open loop for --duration s, every other member
   receiving: delivery latency (budget p99 <= 150 ms), lost, CPU; the big user's runs again from halfway through.
With --servers N the sockets are spread round-robin over N processes (scenario 5); CPU and RSS are then sums.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
from typing import Any

from . import data, driver, server
from .common import Code, percentiles, register
from .scenarios import serving


def layout(users: int, per_user: int, size: int, big_groups: int) -> tuple[list[list[int]], list[int]]:
    """Group index -> member ids (group id = index + 1), and the big user's group indexes."""
    if users % size:
        raise SystemExit(f"--users ({users}) must be a multiple of --group-size ({size})")
    members: list[list[int]] = []
    for k in range(per_user):
        perm = list(range(1, users + 1))
        random.Random(3000 + k).shuffle(perm)
        members.extend(perm[j: j + size] for j in range(0, users, size))
    return members, [i * len(members) // big_groups for i in range(big_groups)]


async def big_user(adapter: Any, uid: int, members: dict[str, list[int]], runs: int, gap: float,
                   until: float = float("inf")) -> dict[str, Any]:
    """``runs`` connects of the big user one after another: connect -> hello, then a member (on a socket of its own)
    sends into the big user's last group, timed until the big user has it."""
    hello, check, missed = [], [], 0
    for n in range(runs):
        if time.monotonic() >= until:
            break
        big = driver.Client(adapter, uid, "")
        hello.append(await big.open(30.0))
        last = sorted(big.groups)[-1]
        member = driver.Client(adapter, members[last][0], last)
        await member.open(30.0)
        cid, t0 = f"big-{time.time():.6f}-{n}", time.monotonic()
        member.send(cid)
        while cid not in big.received and time.monotonic() < t0 + 10:
            await asyncio.sleep(0.002)
        if cid in big.received:
            check.append(time.monotonic() - t0)
        else:
            missed += 1
        await asyncio.gather(big.close(), member.close())
        await asyncio.sleep(gap)
    return {"groups": len(big.groups) if runs else 0, "hello_ms": percentiles(hello),
            "last_group_msg_ms": percentiles(check), "last_group_msg_missed": missed}


async def phases(o, srvs: list[server.Server], members: list[list[int]]) -> dict[str, Any]:
    adapters = [driver.Groupchat(s.port) for s in srvs]
    codes = {data.group_code(g + 1): ms for g, ms in enumerate(members)}
    socks = [driver.Client(adapters[u % len(adapters)], u, "") for u in range(1, o.users + 1)]
    sampler = server.Sampler(srvs)
    out: dict[str, Any] = {"rss_mib_at_start": sampler.rss_mib()}
    print(f"a. connecting {o.users:,} sockets ...", flush=True)
    out["connect"] = await driver.connect_all(socks, concurrency=50)
    # thousands of long-lived socket objects out of the cyclic collector's way: a full collection over them would
    # stall the driver's loop and show up as delivery latency
    gc.collect()
    gc.freeze()
    await asyncio.sleep(o.idle_wait)
    samples = []
    for _ in range(3):
        samples.append(sampler.rss_mib())
        await asyncio.sleep(1)
    out["idle_rss_mib"] = max(samples)
    print(f"b. the big user, {o.big_runs} runs ...", flush=True)
    out["big_idle"] = await big_user(adapters[0], o.users + 1, codes, o.big_runs, 0.5)
    print(f"c. {o.active_groups} groups x {o.rate} msgs/s for {o.duration} s ...", flush=True)
    n = len(members)
    senders = []
    for g in sorted({(i * n // o.active_groups + 1) % n for i in range(o.active_groups)}):
        s = next((socks[u - 1] for u in members[g] if socks[u - 1].ws and socks[u - 1] not in senders), None)
        if s is not None:
            s.group = data.group_code(g + 1)
            senders.append(s)
    for s in socks:
        s.reset()
    spec = driver.LoadSpec(senders=[], receivers=[], duration=o.duration, mode="rate", rate=o.rate)
    end = time.monotonic() + o.duration

    async def big_later() -> dict[str, Any]:
        await asyncio.sleep(o.duration / 2)
        return await big_user(adapters[0], o.users + 1, codes, o.big_runs, 0.5, until=end)

    later = asyncio.create_task(big_later())
    out["active"] = await driver.window(socks, senders, spec, f"m{int(time.time())}", sampler)
    out["big_under_load"] = await later
    out["closes"] = out["active"]["unexpected_closes"]
    await asyncio.gather(*(s.close() for s in socks))
    return out


def many_groups(code: Code, o) -> dict[str, Any]:
    members, big = layout(o.users, o.groups_per_user, o.group_size, o.big_groups)
    for g in big:
        members[g] = [*members[g], o.users + 1]
    db = data.ensure_seeded(code, "gc_bench_many", {"users": o.users + 1, "groups": [
        [g + 1, f"many {g + 1}", ms] for g, ms in enumerate(members)]})
    with serving(code, db, "groupchat", o.servers) as srvs:
        r = driver.run(phases(o, srvs, members))
    act, c = r["active"], r["connect"]
    lat, res = act["delivery"]["latency_ms"], act["resources"] or {}

    def ms(p: dict[str, Any]) -> str:
        return " / ".join("-" if p[k] is None else f"{p[k]:,.1f}" for k in ("p50", "p99", "max"))

    rows = [
        ("connections", f"{c['ok']:,} / {c['n']:,} in {c['all_connected_s']} s", ""),
        ("connect -> hello p50 / p99 / max ms", ms(c["connect_ms"]), ""),
        ("servers' RSS, N idle (MiB)", f"{r['idle_rss_mib']:,.1f} (start {r['rss_mib_at_start']})", "< 1,536"),
        ("delivery p50 / p99 / max ms", ms(lat), "p99 <= 150"),
        ("sent / acked / errors", f"{act['send']['sent']:,} / {act['send']['acked']:,} / "
         f"{sum(act['send']['errors'].values())}", ""),
        ("expected / delivered / lost / dup", f"{act['delivery']['expected']:,} / {act['delivery']['delivered']:,} / "
         f"{act['delivery']['lost']:,} / {act['delivery']['duplicated']:,}", "lost 0"),
        ("cpu % of a core: servers / pg / redis / driver", " / ".join(str(res["cpu_pct"].get(k, "-")) for k in
                                                                       ("server", "postgres", "redis", "driver")), ""),
        (f"big user ({r['big_idle']['groups']} groups) hello p50 / p99 / max ms, N idle", ms(r["big_idle"]["hello_ms"]),
         "<= 200"),
        ("  its last group's message p50 / p99 / max ms", ms(r["big_idle"]["last_group_msg_ms"]), ""),
        ("big user hello p50 / p99 / max ms, under load", ms(r["big_under_load"]["hello_ms"]), "<= 200"),
    ]
    return {"table": [{"figure": a, "value": b, "budget": t} for a, b, t in rows], "raw": r, "headline": {
        "dlv p99": lat["p99"], "lost": act["delivery"]["lost"], "idle MiB": r["idle_rss_mib"],
        "big hello p50": r["big_idle"]["hello_ms"]["p50"], "big hello under load p50":
        r["big_under_load"]["hello_ms"]["p50"]}}


register("many-groups", many_groups, number="3", title="3,000 sockets x 50 groups of 30, a user in 500 groups, "
         "100 groups talking", headline={"dlv p99": "lower", "big hello p50": "lower", "idle MiB": "lower"},
         users=3000, groups_per_user=50, group_size=30, big_groups=500, active_groups=100, rate=1.0, duration=30.0,
         big_runs=10, idle_wait=5.0, servers=1)
