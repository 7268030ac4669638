"""Scenario 3, many groups: ``python -m bench.manygroups [--users 3000] [--duration 30] ...``

Its own database ``gc_bench_many`` (dropped, recreated and migrated from the code under test, then COPYed) and Redis
db 13, one groupchat server (uvicorn, pub/sub channel layer), or ``--servers N`` of them on the one Redis layer with
the sockets spread round-robin (CPU and memory figures are then sums over the processes). Layout, deterministic:
``--users`` users, each in exactly ``--groups-per-user`` groups of ``--group-size`` members (50 rounds; each round
shuffles the users and cuts them into groups, so a user is in one group per round and never twice in a group), plus
one "big" user in ``--big-groups`` of those groups (spread evenly over them). Default 3,000 users, 5,000 groups of
30, a big user in 500.

Phases, each with a deadline:

a. connect every user's one socket (``--connect-concurrency`` at a time): time from the TCP connect to ``hello`` (which
   the server sends once subscribed to all the user's groups); after ``--idle-wait`` s of silence, the server's RSS is
   "the memory for N idle connections" (target < 1.5 GB).
c. the big user, ``--big-runs`` times one after another while the N sockets sit idle: TCP connect -> ``hello``
   (target <= 200 ms), then a member sends into the last group of its ``hello`` list and the big user must receive
   it (proves the subscription; timed too). Also once "cold" before phase a (empty server: every group_add is a real
   Redis SUBSCRIBE), for comparison.
b. ``--active-groups`` groups talk: in each, one member sends ``--rate`` msgs/s (open loop) for ``--duration`` s; every
   other connected member receives. Delivery latency from the send timestamp in the body (target p99 <= 150 ms),
   expected / delivered / lost / duplicated, server CPU and peak RSS. The big user's runs are repeated during it.

Writes JSON to bench/results/ and prints a table. Everything (PostgreSQL, Redis, server, this driver) shares one box.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import gc
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from .common import (
    PY,
    RESULTS,
    ROOT,
    app_dir,
    app_ref,
    app_sha,
    db_url,
    machine,
    percentiles,
    redis_url,
    use_app,
)
from .driver import CLIENT, connect_all, open_socket

DB = "gc_bench_many"
REDIS_DB = 13  # the suite owns 10 and 11
PUBSUB = "groupchat.core.layer.FanoutPubSubChannelLayer"  # groupchat's default layer
PAD = "压测 lorem ipsum dolor sit amet, consectetur adipiscing"
TARGETS = {"delivery_p99_ms": 150, "big_hello_ms": 200, "idle_rss_mib": 1536}


# --- the layout (pure: the generator under Django and the driver compute the same) ---------------------------------
@dataclass(frozen=True)
class Layout:
    users: int
    per_user: int
    size: int
    big_groups: int
    members: list[list[int]]  # group index -> user ids; group id = index + 1
    big_user: int
    big: list[int]  # group indexes of the big user

    @property
    def n_groups(self) -> int:
        return len(self.members)


def layout(users: int, per_user: int, size: int, big_groups: int) -> Layout:
    if users % size:
        raise SystemExit(f"--users ({users}) must be a multiple of --group-size ({size})")
    members: list[list[int]] = []
    for k in range(per_user):
        perm = list(range(1, users + 1))
        random.Random(3000 + k).shuffle(perm)
        members.extend(perm[j: j + size] for j in range(0, users, size))
    n = len(members)
    if big_groups > n:
        raise SystemExit(f"--big-groups {big_groups} > {n} groups")
    big = [i * n // big_groups for i in range(big_groups)]
    return Layout(users, per_user, size, big_groups, members, users + 1, big)


def group_code(gid: int) -> str:
    from .data import group_code as code

    return code(gid)


# --- data (gc_bench_many) ----------------------------------------------------------------------------------------
def many_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    from .data import gc_env

    return gc_env({"DATABASE_URL": db_url(DB), "REDIS_URL": redis_url(REDIS_DB), "CHANNEL_LAYER_BACKEND": PUBSUB,
                   **(extra or {})})


def _marker():
    return RESULTS / f".setup-{DB}.txt"


def _params(a) -> dict[str, int]:
    return {"users": a.users, "groups_per_user": a.groups_per_user, "group_size": a.group_size,
            "big_groups": a.big_groups}


def ensure_data(a) -> dict[str, Any]:
    from .data import _migrate, database_exists, recreate_database

    want = {**_params(a), "code": app_sha()}
    marker = _marker()
    have = json.loads(marker.read_text()) if marker.exists() else None
    if a.skip_setup and have == want and database_exists(DB):
        return {"reused": True, **want}
    if a.skip_setup:
        print(f"--skip-setup: {DB} was built for {have}, not {want}: rebuilding", flush=True)
    t0 = time.monotonic()
    marker.unlink(missing_ok=True)
    recreate_database(DB)
    _migrate([PY, "manage.py", "migrate", "--noinput", "-v0"], many_env(), cwd=app_dir())
    migrate_s = time.monotonic() - t0
    out = subprocess.run([PY, "-m", "bench.manygroups", "_fill", json.dumps(_params(a))], cwd=app_dir(),
                         env=many_env(), capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"fill failed:\n{out.stderr[-3000:]}")
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(want))
    return {"reused": False, "migrate_s": round(migrate_s, 1), "total_s": round(time.monotonic() - t0, 1), **counts}


def _django_fill(p: dict[str, int]) -> dict[str, Any]:
    """Inside Django (``python -m bench.manygroups _fill``): users, tokens, group codes, groups, memberships, gates."""
    from django.db import connection, transaction
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from groups.models import Group, GroupCode, Membership

    from . import data

    lay = layout(p["users"], p["groups_per_user"], p["group_size"], p["big_groups"])
    n_users = lay.users + 1
    big = set(lay.big)
    now = datetime.now(UTC)
    pw = data._password_hash()
    counts: dict[str, Any] = {}
    t0 = time.monotonic()
    with transaction.atomic(), connection.cursor() as c:
        cur = c.cursor  # psycopg2's, for copy_expert
        cur.execute("SET LOCAL synchronous_commit = off")
        counts["users"] = data.copy_model(cur, User, (
            {"id": i, "password": pw, "is_superuser": False, "username": f"many{i}", "nickname": f"压测{i}",
             "language": "en", "verification_level": 1, "is_staff": False, "is_active": True, "date_joined": now}
            for i in range(1, n_users + 1)))
        data._reset_identity(cur, User._meta.db_table)
        counts["tokens"] = data.copy_model(cur, Token, ({"key": data.token_for(i), "created": now, "user_id": i}
                                                        for i in range(1, n_users + 1)))
        data.copy_model(cur, GroupCode, [{"code": group_code(g + 1), "issued_at": now} for g in range(lay.n_groups)])
        counts["groups"] = data.copy_model(cur, Group, [
            {"id": g + 1, "code": group_code(g + 1), "name": f"many {g + 1}", "category": "bench", "status": "open",
             "join_mode": "open", "is_public": True, "member_cap": 5000,
             "member_count": len(ms) + (1 if g in big else 0), "last_seq": 0, "created_at": now, "owner_id": ms[0],
             "all_muted": False, "announcement": "", "rules": ""}
            for g, ms in enumerate(lay.members)])
        data._reset_identity(cur, Group._meta.db_table)

        def memberships():
            mid = 0
            for g, ms in enumerate(lay.members):
                for k, uid in enumerate(ms + ([lay.big_user] if g in big else [])):
                    mid += 1
                    yield {"id": mid, "role": "owner" if k == 0 else "member", "joined_at": now, "last_read_seq": 0,
                           "group_id": g + 1, "user_id": uid}

        counts["memberships"] = data.copy_model(cur, Membership, memberships())
        data._reset_identity(cur, Membership._meta.db_table)
        data.N_USERS = n_users  # _pass_gates covers users 1..N_USERS
        counts.update(data._pass_gates(cur, now))
    with connection.cursor() as c:
        c.execute("ANALYZE")
    counts["fill_s"] = round(time.monotonic() - t0, 1)
    return counts


# --- the driver ----------------------------------------------------------------------------------------------------
@dataclass
class Book:
    """What was sent (client_id -> group index, sender, send time) and what came back."""

    active: str  # client_id prefix of the active phase's messages
    big_user: int  # its copies are not counted as deliveries (it is not in the receivers)
    sent: dict[str, tuple[int, int, float]] = field(default_factory=dict)
    acks: dict[str, float] = field(default_factory=dict)  # client_id -> ack latency (s)
    errors: Counter = field(default_factory=Counter)
    waiters: dict[tuple[int, str], asyncio.Future] = field(default_factory=dict)  # (user, client_id) -> rx time
    first_rx: int = 0  # first receipts of active messages by non-senders
    last_rx: float = 0.0


class Sock:
    __slots__ = ("book", "closed", "frames", "got", "groups", "lat", "port", "reader", "uid", "ws")

    def __init__(self, uid: int, port: int, book: Book) -> None:
        self.uid, self.port, self.book = uid, port, book
        self.ws = self.reader = None
        self.groups: list[str] = []
        self.got: dict[str, int] = {}
        self.lat: list[tuple[float, float]] = []  # (send time, delivery latency) of first receipts
        self.closed: str | None = None
        self.frames = 0

    async def open(self, timeout: float) -> float:
        """Connect and wait for ``hello``; seconds from the TCP connect to ``hello``."""
        from .common import HOST
        from .data import token_for

        t0 = time.monotonic()
        self.ws = await open_socket(f"ws://{HOST}:{self.port}/ws/?token={token_for(self.uid)}",
                                    f"http://{HOST}:{self.port}", timeout)
        frame = orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        took = time.monotonic() - t0
        if frame.get("type") != "hello":
            raise RuntimeError(f"expected hello, got {str(frame)[:200]}")
        self.groups = frame.get("groups") or []
        self.reader = asyncio.create_task(self._read())
        return took

    async def _read(self) -> None:
        try:
            code = await self.ws.listen(self._on_frame)
            self.closed = f"closed {code}" if code else None
        except Exception as exc:  # a bad frame ends this socket's reading, and is reported
            self.closed = f"reader error {exc!r}"[:200]

    def _on_frame(self, raw: bytes | str) -> None:
        book, uid, got = self.book, self.uid, self.got
        wall = time.time()
        mono = time.monotonic()
        self.frames += 1
        frame = orjson.loads(raw)
        kind = frame.get("type")
        if kind == "message":
            msgs = [frame["message"]]
        elif kind == "messages":
            msgs = frame["messages"]
        elif kind == "ack":
            cid = frame.get("client_id")
            sent = book.sent.get(cid)
            if sent is not None and cid not in book.acks:
                book.acks[cid] = mono - sent[2]
            if frame.get("duplicate"):  # a client_id stored before: nothing is delivered (must not happen)
                book.errors["ack_duplicate"] += 1
            return
        elif kind == "error":
            book.errors[frame.get("code") or "?"] += 1
            return
        else:
            return
        prefix = book.active
        for m in msgs:
            cid = m.get("client_id") or ""
            if book.waiters:
                fut = book.waiters.get((uid, cid))
                if fut is not None and not fut.done():
                    fut.set_result(mono)
            if not cid.startswith(prefix):
                continue
            sent = book.sent.get(cid)
            if sent is None or sent[1] == uid or uid == book.big_user:
                continue  # the sender's own copy, or the big user's
            n = got.get(cid, 0)
            got[cid] = n + 1
            if n == 0:
                book.first_rx += 1
                book.last_rx = mono
                try:
                    t_sent = float(m["body"].split(" ", 2)[1])
                    self.lat.append((t_sent, wall - t_sent))
                except (KeyError, IndexError, ValueError, AttributeError):
                    pass

    async def send(self, code: str, cid: str, gidx: int) -> None:
        self.book.sent[cid] = (gidx, self.uid, time.monotonic())
        body = f"{cid} {time.time():.6f} {PAD}"
        await self.ws.send(orjson.dumps({"type": "send", "group": code, "client_id": cid, "body": body}).decode())

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:  # best effort at the end of a run
                pass
        if self.reader is not None:
            self.reader.cancel()


class Spy:
    """``--pyspy``: py-spy attached to the server for one phase (raw collapsed stacks, summarised by bench.profile)."""

    def __init__(self, pid: int, name: str, rate: int) -> None:
        import shutil
        import signal

        self.sig = signal.SIGINT
        exe = shutil.which("py-spy", path=f"{os.path.dirname(PY)}:{os.environ.get('PATH', '')}")
        if exe is None:
            raise SystemExit("--pyspy: py-spy not found (.venv/bin/pip install py-spy)")
        self.raw = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-pyspy-manygroups-{name}.txt"
        self.proc = subprocess.Popen([exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
                                      "--threads", "--nonblocking", "-o", str(self.raw)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> dict[str, Any]:
        from .profile import summarise

        self.proc.send_signal(self.sig)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return {"raw": str(self.raw.relative_to(ROOT)), **summarise(self.raw)}


def _rss_mib(pid: int) -> float:
    import psutil

    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


def _redis_stats(lay: Layout) -> dict[str, Any]:
    """Pub/sub channels are global to the Redis server (not per db): count ours apart from anyone else's."""
    import redis

    r = redis.Redis.from_url(redis_url(REDIS_DB))
    info = r.info("memory")
    groups = {f"asgi__group__group.{group_code(g + 1)}".encode() for g in range(lay.n_groups)}
    users = {f"asgi__group__user.{u}".encode() for u in range(1, lay.users + 1)}
    chans = set(r.pubsub_channels())
    return {"pubsub_our_group_channels": len(chans & groups), "pubsub_our_user_channels": len(chans & users),
            "pubsub_channels_on_the_redis_server": len(chans),
            "redis_used_memory_mib": round(info["used_memory"] / 2**20, 1)}


@dataclass
class Ctx:
    lay: Layout
    port: int
    book: Book
    socks: dict[int, Sock]
    code_to_gidx: dict[str, int]


async def big_user_runs(ctx: Ctx, runs: int, label: str, gap: float, check_prefix: str,
                        t0: float | None = None, until: float | None = None) -> dict[str, Any]:
    """``runs`` sequential connects of the big user: connect -> hello, then one message into its last group."""
    loop = asyncio.get_running_loop()
    hello: list[float] = []
    check: list[float] = []
    close: list[float] = []
    detail = []
    for n in range(1, runs + 1):
        if until is not None and time.monotonic() >= until:
            break  # the active phase is over: the rest would not be "during load"
        s = Sock(ctx.lay.big_user, ctx.port, ctx.book)
        row: dict[str, Any] = {"run": n}
        if t0 is not None:
            row["at_s"] = round(time.monotonic() - t0, 2)  # into the active phase
        try:
            took = await s.open(30.0)
            hello.append(took)
            row.update(hello_ms=round(took * 1000, 1), groups=len(s.groups))
            last = s.groups[-1]
            gidx = ctx.code_to_gidx[last]
            sender = next((ctx.socks[u] for u in ctx.lay.members[gidx]
                           if ctx.socks[u].ws is not None and not ctx.socks[u].closed), None)
            temp = None
            if sender is None:  # nobody connected yet (the cold runs): a member connects just to send
                temp = sender = Sock(ctx.lay.members[gidx][0], ctx.port, ctx.book)
                await temp.open(30.0)
            if sender is not None:
                cid = f"{check_prefix}{ctx.book.active[1:]}-{label}-{n}"  # unique per run: a reused id is not resent
                fut = loop.create_future()
                ctx.book.waiters[(ctx.lay.big_user, cid)] = fut
                t1 = time.monotonic()
                await sender.send(last, cid, gidx)
                try:
                    got_at = await asyncio.wait_for(fut, 10.0)
                    check.append(got_at - t1)
                    row["last_group_msg_ms"] = round((got_at - t1) * 1000, 1)
                except TimeoutError:
                    row["last_group_msg_ms"] = "not received in 10 s"
                finally:
                    ctx.book.waiters.pop((ctx.lay.big_user, cid), None)
                    if temp is not None:
                        await temp.close()
        except Exception as exc:
            row["error"] = repr(exc)[:200]
        t2 = time.monotonic()
        await s.close()
        close.append(time.monotonic() - t2)
        detail.append(row)
        await asyncio.sleep(gap)
    return {"label": label, "runs": len(detail), "ok": len(hello), "hello_ms": percentiles(hello),
            "groups_in_hello": sorted({r.get("groups") for r in detail if r.get("groups") is not None}),
            "last_group_msg_received": len(check), "last_group_msg_ms": percentiles(check),
            "close_ms": percentiles(close), "detail": detail}


async def regular_reconnects(ctx: Ctx, runs: int, gap: float) -> dict[str, Any]:
    """The same measure for ordinary users (``--groups-per-user`` groups): close a socket, reconnect it, time hello."""
    hello: list[float] = []
    users = [u for u in range(1, ctx.lay.users + 1, max(1, ctx.lay.users // max(runs, 1)))][:runs]
    for u in users:
        old = ctx.socks[u]
        if old.ws is None:
            continue
        await old.close()
        await asyncio.sleep(gap)
        s = Sock(u, ctx.port, ctx.book)
        try:
            hello.append(await s.open(30.0))
        except Exception as exc:
            s.closed = f"reconnect failed {exc!r}"[:200]
            s.ws = None
        ctx.socks[u] = s
        await asyncio.sleep(gap)
    return {"runs": len(users), "ok": len(hello), "groups_each": ctx.lay.per_user, "hello_ms": percentiles(hello)}


async def active_phase(ctx: Ctx, a, sampler) -> dict[str, Any]:
    lay, book = ctx.lay, ctx.book
    n = lay.n_groups
    # spread over the layout, offset so they do not coincide with the big user's groups (indexes k * n / big)
    active = sorted({(i * n // a.active_groups + 1) % n for i in range(a.active_groups)})
    used: set[int] = set()
    plan: list[tuple[int, Sock]] = []
    for g in active:
        live = [u for u in lay.members[g] if ctx.socks[u].ws is not None and not ctx.socks[u].closed]
        pick = next((u for u in live if u not in used), live[0] if live else None)
        if pick is None:
            continue
        used.add(pick)
        plan.append((g, ctx.socks[pick]))
    if sampler is not None:
        sampler.start()
    t_start = time.monotonic()
    end = t_start + a.duration
    max_per = int(a.duration * a.rate) + 1

    async def talk(i: int, g: int, s: Sock) -> None:
        code = group_code(g + 1)
        first = t_start + (i / max(len(plan), 1)) / a.rate  # staggered over one period
        for k in range(max_per):
            at = first + k / a.rate
            if at >= end or s.closed:
                return
            now = time.monotonic()
            if at > now:
                await asyncio.sleep(at - now)
            try:
                await s.send(code, f"{book.active}-{g}-{k}", g)
            except Exception:
                book.errors["send_failed"] += 1
                return

    big_task = None
    if a.big_during_load and a.big_runs:
        async def big_later() -> dict[str, Any]:
            await asyncio.sleep(a.duration * a.big_load_start)
            return await big_user_runs(ctx, a.big_runs, "during_load", a.big_gap, "cbl", t_start, end)

        big_task = asyncio.create_task(big_later())
    lags: list[float] = []

    async def loop_lag() -> None:
        """The driver's own event-loop lag: if it were behind, delivery latency would be the driver's, not the server's."""
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.01)
            lags.append(time.monotonic() - t - 0.01)

    lag_task = asyncio.create_task(loop_lag())
    await asyncio.gather(*(talk(i, g, s) for i, (g, s) in enumerate(plan)))
    t_sent = time.monotonic()
    lag_task.cancel()
    receivers = {g: [u for u in lay.members[g] if u != s.uid and ctx.socks[u].ws is not None] for g, s in plan}
    sent_active = [cid for cid in book.sent if cid.startswith(book.active)]

    def expected_now() -> int:
        return sum(len(receivers[book.sent[cid][0]]) for cid in sent_active if cid in book.acks)

    drain_end = t_sent + a.drain_max
    while time.monotonic() < drain_end:
        unacked = sum(1 for cid in sent_active if cid not in book.acks)
        if unacked == 0 and book.first_rx >= expected_now():
            break
        if unacked == 0 and time.monotonic() - max(book.last_rx, t_sent) > a.drain_quiet:
            break
        await asyncio.sleep(0.1)
    t_done = time.monotonic()
    resources = sampler.stop() if sampler is not None else None
    big = await big_task if big_task is not None else None

    expected = delivered = duplicated = 0
    acked = [cid for cid in sent_active if cid in book.acks]
    for cid in acked:
        g = book.sent[cid][0]
        for u in receivers[g]:
            expected += 1
            delivered += cid in ctx.socks[u].got
    duplicated = sum(v - 1 for s in ctx.socks.values() for v in s.got.values() if v > 1)
    pairs = [x for s in ctx.socks.values() for x in s.lat]
    lat = [x for _, x in pairs]
    # latency by the second the message was sent in: does it creep up (overload) or spike (stalls)?
    wall0 = time.time() - (time.monotonic() - t_start)
    by_sec: dict[int, list[float]] = {}
    for sent_at, x in pairs:
        by_sec.setdefault(int(sent_at - wall0), []).append(x)
    acks_by_sec: dict[int, list[float]] = {}
    for cid in sent_active:
        if cid in book.acks:
            acks_by_sec.setdefault(int(book.sent[cid][2] - t_start), []).append(book.acks[cid])
    timeline = [{"s": k, "n": len(v), "p50": percentiles(v)["p50"], "max": percentiles(v)["max"],
                 "ack_p50": percentiles(acks_by_sec.get(k, []))["p50"]} for k, v in sorted(by_sec.items())]
    # split at the big user's first connect: the steady load alone, then with the big user coming and going
    split = None
    if big_task is not None:
        cut = wall0 + a.duration * a.big_load_start
        split = {"big_user_from_s": round(a.duration * a.big_load_start, 1),
                 "before_ms": percentiles([x for t, x in pairs if t < cut]),
                 "after_ms": percentiles([x for t, x in pairs if t >= cut])}
    window = max(t_sent - t_start, 1e-9)
    return {
        "active_groups": len(plan), "senders": len({s.uid for _, s in plan}), "rate_per_group": a.rate,
        "receivers": sum(len(v) for v in receivers.values()),
        "send": {"duration_s": round(window, 2), "sent": len(sent_active), "acked": len(acked),
                 "not_acked": len(sent_active) - len(acked), "errors": dict(book.errors),
                 "acked_per_s": round(len(acked) / window, 1),
                 "ack_ms": percentiles([book.acks[c] for c in acked])},
        "delivery": {"expected": expected, "delivered": delivered, "lost": expected - delivered,
                     "duplicated": duplicated,
                     "completeness_pct": round(100 * delivered / expected, 3) if expected else None,
                     "deliveries_per_s": round(delivered / max(t_done - t_start, 1e-9), 1),
                     "latency_ms": percentiles(lat), "drain_s": round(t_done - t_sent, 2),
                     "latency_ms_split_at_big_user": split, "latency_ms_by_send_second": timeline},
        "resources": resources,
        "driver_loop_lag_ms": percentiles(lags),
        "big_user_during_load": big,
    }


async def scenario(a, lay: Layout, srvs: list) -> dict[str, Any]:
    """The phases on ``srvs`` (one or more server processes; sockets spread round-robin over them, the big user on the
    first). CPU and RSS figures are the sums over the processes."""
    from .server import Sampler

    pids = [s.pid for s in srvs]

    def rss() -> float:
        return round(sum(_rss_mib(pid) for pid in pids), 1)

    class ManySampler(Sampler):
        def _role(self, p, me):
            if p.pid in pids:
                return "server:groupchat"
            role = super()._role(p, me)
            if role.startswith("other:postgres") and f" {DB} " in " ".join(p.info.get("cmdline") or []):
                return "postgres"
            return role

    book = Book(active=f"m{int(time.time() * 1000) % 10**9}", big_user=lay.big_user)
    socks = {u: Sock(u, srvs[u % len(srvs)].port, book) for u in range(1, lay.users + 1)}
    ctx = Ctx(lay, srvs[0].port, book, socks, {group_code(g + 1): g for g in range(lay.n_groups)})
    out: dict[str, Any] = {"servers": len(srvs), "server_rss_mib_at_start": rss()}
    if a.big_runs:
        print(f"big user cold (empty server, {a.cold_runs} runs) ...", flush=True)
        out["big_user_cold"] = await big_user_runs(ctx, a.cold_runs, "cold", a.big_gap, "cc")
    print(f"a. connecting {lay.users:,} sockets, {a.connect_concurrency} at a time ...", flush=True)
    import psutil

    procs = [psutil.Process(pid) for pid in pids]
    cpu0 = sum(sum(proc.cpu_times()[:2]) for proc in procs)
    spy = Spy(pids[0], "connect", a.pyspy) if a.pyspy else None
    conn = await connect_all(list(socks.values()), concurrency=a.connect_concurrency, deadline_s=a.connect_deadline)
    for s in socks.values():
        if s.closed and s.closed.startswith("connect failed"):
            s.ws = None  # as before: a failed socket takes no part in the load
    if spy is not None:
        out["pyspy_connect"] = spy.stop()
    conn["server_cpu_s"] = round(sum(sum(proc.cpu_times()[:2]) for proc in procs) - cpu0, 2)
    print(f"   {conn['ok']:,} connected in {conn['all_connected_s']} s; waiting {a.idle_wait} s idle", flush=True)
    # The driver's thousands of long-lived socket objects out of the cyclic collector's way: a full collection over
    # them can stall the driver's loop, which would show up as delivery latency (the loop-lag figure tells).
    gc.collect()
    gc.freeze()
    await asyncio.sleep(a.idle_wait)
    samples = []
    for _ in range(3):
        samples.append(rss())
        await asyncio.sleep(1.0)
    conn["idle_server_rss_mib"] = max(samples)
    conn["idle_server_rss_samples_mib"] = samples
    conn["rss_per_connection_kib"] = round((max(samples) - out["server_rss_mib_at_start"]) * 1024 / max(conn["ok"], 1),
                                           1)
    conn["server_threads"] = sum(proc.num_threads() for proc in procs)
    conn["server_fds"] = sum(proc.num_fds() for proc in procs)
    conn["redis"] = _redis_stats(lay)
    conn["driver_frames_while_connecting"] = sum(s.frames for s in socks.values())
    out["connect"] = conn
    if a.big_runs:
        print(f"c. big user while {conn['ok']:,} sockets idle ({a.big_runs} runs) ...", flush=True)
        out["big_user_idle"] = await big_user_runs(ctx, a.big_runs, "idle", a.big_gap, "ci")
        out["regular_user_idle"] = await regular_reconnects(ctx, a.big_runs, a.big_gap)
    print(f"b. {a.active_groups} active groups x {a.rate} msg/s for {a.duration} s ...", flush=True)
    spy = Spy(pids[0], "active", a.pyspy) if a.pyspy else None
    out["active"] = await active_phase(ctx, a, ManySampler({f"groupchat-{s.port}": s.pid for s in srvs}))
    if spy is not None:
        out["pyspy_active"] = spy.stop()
    out["unexpected_closes"] = dict(Counter(s.closed for s in socks.values() if s.closed))
    out["server_rss_mib_at_end"] = rss()
    t0 = time.monotonic()
    await asyncio.gather(*(s.close() for s in socks.values()))
    out["close_all_s"] = round(time.monotonic() - t0, 2)
    out["driver_peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


# --- printing ------------------------------------------------------------------------------------------------------
def table(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    c, act = r["connect"], r["active"]
    d, lat = act["delivery"], act["delivery"]["latency_ms"]
    res = act.get("resources") or {}
    pct = res.get("cpu_pct_of_one_core", {})

    def ms(p: dict[str, Any] | None, k: str) -> str:
        v = (p or {}).get(k)
        return "-" if v is None else f"{v:,.1f}"

    rows = [
        ("connections", f"{c['ok']:,} / {c['n']:,} in {c['all_connected_s']} s ({c['connects_per_s']}/s)", ""),
        ("connect -> hello p50 / p99 / max ms", " / ".join(ms(c["connect_ms"], k) for k in
                                                          ("p50", "p99", "max")), ""),
        ("server RSS idle (MiB)", f"{c['idle_server_rss_mib']:,.1f} (start {r['server_rss_mib_at_start']}, "
         f"{c['rss_per_connection_kib']} KiB/conn)", f"< {TARGETS['idle_rss_mib']}"),
        ("delivery p50 / p95 / p99 / max ms", " / ".join(ms(lat, k) for k in ("p50", "p95", "p99", "max")),
         f"p99 <= {TARGETS['delivery_p99_ms']}"),
        *([(f"  sent before the big user's connects (first {d['latency_ms_split_at_big_user']['big_user_from_s']} s)",
            " / ".join(ms(d["latency_ms_split_at_big_user"]["before_ms"], k) for k in ("p50", "p95", "p99", "max")),
            f"p99 <= {TARGETS['delivery_p99_ms']}"),
           ("  sent while the big user connects",
            " / ".join(ms(d["latency_ms_split_at_big_user"]["after_ms"], k) for k in ("p50", "p95", "p99", "max")),
            "")] if d.get("latency_ms_split_at_big_user") else []),
        ("sent / acked / errors", f"{act['send']['sent']:,} / {act['send']['acked']:,} / "
         f"{sum(act['send']['errors'].values())}", ""),
        ("ack p50 / p99 ms", f"{ms(act['send']['ack_ms'], 'p50')} / {ms(act['send']['ack_ms'], 'p99')}", ""),
        ("expected / delivered / lost / dup", f"{d['expected']:,} / {d['delivered']:,} / {d['lost']:,} / "
         f"{d['duplicated']:,}", "lost 0"),
        ("cpu % of a core: server / pg / redis / driver",
         " / ".join(str(pct.get(k, "-")) for k in ("server:groupchat", "postgres", "redis", "driver")), ""),
        ("driver event-loop lag p99 / max ms (its own delay)",
         f"{ms(act.get('driver_loop_lag_ms'), 'p99')} / {ms(act.get('driver_loop_lag_ms'), 'max')}", ""),
        ("server peak RSS in active phase (MiB)", f"{sum((res.get('peak_rss_mib') or {}).values()):,.1f}", ""),
    ]
    reg = r.get("regular_user_idle")
    if reg:
        rows.append((f"ordinary user ({reg['groups_each']} groups) reconnect -> hello p50 / max ms",
                     f"{ms(reg['hello_ms'], 'p50')} / {ms(reg['hello_ms'], 'max')}  ({reg['ok']}/{reg['runs']} runs, "
                     "N idle)", ""))
    for key, label in (("big_user_cold", "cold, empty server"), ("big_user_idle", "N idle"),
                       ("big_user_during_load", "during active phase")):
        b = r.get(key) if key != "big_user_during_load" else act.get(key)
        if not b:
            continue
        rows.append((f"big user hello p50 / max ms ({label})",
                     f"{ms(b['hello_ms'], 'p50')} / {ms(b['hello_ms'], 'max')}  ({b['ok']}/{b['runs']} runs, "
                     f"{b['groups_in_hello']} groups)", f"<= {TARGETS['big_hello_ms']}"))
        rows.append((f"  msg in its last group p50 / max ms ({label})",
                     f"{ms(b['last_group_msg_ms'], 'p50')} / {ms(b['last_group_msg_ms'], 'max')} "
                     f"({b['last_group_msg_received']}/{b['ok']} received)", ""))
    return rows


def print_table(rows: list[tuple[str, str, str]]) -> None:
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    for name, value, target in rows:
        print(f"{name.ljust(w0)} | {value.ljust(w1)} | {target}")


# --- main ----------------------------------------------------------------------------------------------------------
def _lock(timeout: float):
    RESULTS.mkdir(parents=True, exist_ok=True)
    fh = open(RESULTS / ".lock", "w")  # held for the life of the process
    deadline = time.monotonic() + timeout
    said = False
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fh
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SystemExit(f"another bench run held bench/results/.lock for {timeout:.0f} s") from None
            if not said:
                print("waiting for another bench run to finish (bench/results/.lock) ...", flush=True)
                said = True
            time.sleep(2)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.manygroups", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ref", default="HEAD", help="git ref under test (default HEAD), or 'worktree'")
    p.add_argument("--client", choices=["picows", "websockets"], default="picows",
                   help="the driver's WebSocket client library (bench/driver.py)")
    p.add_argument("--servers", type=int, default=1,
                   help="server processes on the one Redis layer; sockets spread round-robin (scenario 5's question)")
    p.add_argument("--users", type=int, default=3000)
    p.add_argument("--groups-per-user", type=int, default=50)
    p.add_argument("--group-size", type=int, default=30)
    p.add_argument("--big-groups", type=int, default=500, help="groups of the one big user")
    p.add_argument("--active-groups", type=int, default=100)
    p.add_argument("--rate", type=float, default=1.0, help="msgs/s per active group")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of the active phase")
    p.add_argument("--big-runs", type=int, default=10, help="big-user connects per phase (0: none)")
    p.add_argument("--cold-runs", type=int, default=3, help="big-user connects on the empty server")
    p.add_argument("--big-gap", type=float, default=0.5, help="seconds between big-user connects")
    p.add_argument("--no-big-during-load", dest="big_during_load", action="store_false")
    p.add_argument("--big-load-start", type=float, default=0.5,
                   help="the big user's runs during the active phase start this fraction into it (default: halfway)")
    p.add_argument("--connect-concurrency", type=int, default=50)
    p.add_argument("--connect-deadline", type=float, default=300.0)
    p.add_argument("--idle-wait", type=float, default=5.0, help="idle seconds before the RSS reading")
    p.add_argument("--drain-max", type=float, default=15.0)
    p.add_argument("--drain-quiet", type=float, default=3.0)
    p.add_argument("--skip-setup", action="store_true", help="reuse gc_bench_many if built with these parameters")
    p.add_argument("--pyspy", type=int, default=0, metavar="HZ",
                   help="attach py-spy to the server in the connect and active phases at HZ samples/s (perturbs them)")
    p.add_argument("--lock-timeout", type=float, default=1800.0)
    a = p.parse_args(argv)

    lock = _lock(a.lock_timeout)  # noqa: F841  (held until exit)
    CLIENT["value"] = a.client
    print(f"code under test: {use_app(a.ref)['ref']}, driver client {a.client}", flush=True)
    lay = layout(a.users, a.groups_per_user, a.group_size, a.big_groups)
    print(f"layout: {a.users:,} users x {a.groups_per_user} groups, {lay.n_groups:,} groups of {a.group_size}, "
          f"big user {lay.big_user} in {len(lay.big)}", flush=True)
    t0 = time.monotonic()
    setup = ensure_data(a)
    print(f"data: {json.dumps(setup, ensure_ascii=False)} ({time.monotonic() - t0:.1f} s)", flush=True)

    import redis

    from . import server
    from .driver import run

    redis.Redis.from_url(redis_url(REDIS_DB)).flushdb()
    srvs = []
    try:
        for _ in range(a.servers):
            srvs.append(server.start("groupchat", "groupchat.asgi:application", many_env(), cwd=app_dir()))
        time.sleep(0.5)
        result = run(scenario(a, lay, srvs))
    finally:
        for srv in srvs:
            srv.stop()
    full = {"scenario": "manygroups", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
            "code_under_test": app_ref(), "client": a.client, "argv": sys.argv, "params": vars(a), "targets": TARGETS,
            "layout": {"users": lay.users, "groups": lay.n_groups, "group_size": lay.size,
                       "groups_per_user": lay.per_user, "big_user": lay.big_user, "big_groups": len(lay.big)},
            "setup": setup, "server_logs": [str(srv.log.relative_to(ROOT)) for srv in srvs], **result}
    rows = table(full)
    full["table"] = [{"figure": n, "value": v, "target": t} for n, v, t in rows]
    print()
    print_table(rows)
    for key in ("pyspy_connect", "pyspy_active"):
        if key in full:
            from .profile import render

            print(f"\n--- {key} ---\n{render(full[key])}")
    path = write(full)
    print(f"\nwritten {path.relative_to(ROOT)}")


def write(data: dict[str, Any]):
    from .common import write_result

    return write_result("manygroups", data)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_fill":
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "groupchat.settings")
        django.setup()
        print(json.dumps(_django_fill(json.loads(sys.argv[2]))))
    else:
        main()
