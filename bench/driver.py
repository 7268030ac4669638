"""The load driver: asyncio on uvloop, picows sockets, speaking the real protocol (or the baseline's) through an adapter.

Every message body is ``"<client_id> <unix time at send> <padding>"``, so a receiver times delivery without talking to
the sender (same machine, same clock) and matches deliveries to acks by ``client_id``.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import uvloop
from picows import WSCloseCode, WSListener, WSMsgType, WSTransport, ws_connect

from .common import HOST, percentiles
from .data import token_for

PAD = "压测 lorem ipsum dolor sit amet, consectetur adipiscing"


class Socket(WSListener):
    """picows' core API: each frame is handed to ``on_frame`` straight from the read buffer (Cython), with no future,
    queue or task per frame, so the driver spends little per delivery and the server is what is measured."""

    def __init__(self) -> None:
        self.transport: WSTransport | None = None
        self.on_frame = None  # set by ``listen``; frames before that (the hello) wait in ``early``
        self.early: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.close_code: str | None = None
        self.gone = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(cls, url: str, origin: str, timeout: float) -> Socket:
        _, listener = await asyncio.wait_for(ws_connect(cls, url, websocket_handshake_timeout=timeout,
                                                        max_frame_size=2**22, extra_headers={"Origin": origin}),
                                             timeout)
        return listener

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            if not frame.fin:  # the server sends whole messages; a fragment would be misread, so say so
                self._fail("fragmented frame")
            elif self.on_frame is None:
                self.early.put_nowait(frame.get_payload_as_bytes())
            else:
                try:
                    self.on_frame(frame.get_payload_as_bytes())
                except Exception as exc:  # a bad frame ends this socket, and is reported
                    self._fail(f"reader error {exc!r}"[:200])
        elif frame.msg_type == WSMsgType.CLOSE:
            self.close_code = str(frame.get_close_code().value)
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def _fail(self, why: str) -> None:
        self.close_code = why
        self.transport.disconnect(graceful=False)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.gone.done():
            self.gone.set_result(self.close_code or "no close frame")
            self.early.put_nowait(None)

    async def recv(self) -> bytes:
        data = await self.early.get()
        if data is None:
            raise ConnectionError(f"closed {self.gone.result()}")
        return data

    def send(self, text: str) -> None:
        self.transport.send(WSMsgType.TEXT, text.encode())

    async def listen(self, on_frame) -> str | None:
        """Hand every frame to ``on_frame`` until the socket closes; None for a normal close, else why."""
        while not self.early.empty():
            data = self.early.get_nowait()
            if data is not None:
                on_frame(data)
        self.on_frame = on_frame
        code = await asyncio.shield(self.gone)
        return None if code in ("1000", "1001") else code

    async def close(self) -> None:
        if not self.transport.is_disconnected():
            self.transport.send_close(WSCloseCode.OK)
            await self.transport.wait_disconnected()


@dataclass(frozen=True)
class Groupchat:
    """groupchat's protocol (docs/protocol.md): hello, send -> ack, message / messages frames."""

    port: int
    hello = True

    def url(self, user_id: int, group: str) -> str:
        return f"ws://{HOST}:{self.port}/ws/?token={token_for(user_id)}"

    @staticmethod
    def send_frame(group: str, client_id: str, body: str) -> str:
        return orjson.dumps({"type": "send", "group": group, "client_id": client_id, "body": body}).decode()

    @staticmethod
    def parse(f: dict[str, Any]) -> list[tuple[str, str | None, Any, Any]]:
        """[(kind, client_id, seq or group, body or code)], one per message of a ``messages`` frame."""
        kind = f.get("type")
        if kind == "ack":
            return [("ack", f.get("client_id"), (f.get("message") or {}).get("seq"), None)]
        if kind in ("message", "messages"):
            return [("message", m.get("client_id"), (f.get("group"), m.get("seq")), m.get("body"))
                    for m in ([f["message"]] if kind == "message" else f["messages"])]
        return [("error", f.get("client_id"), None, f.get("code"))] if kind == "error" else []


@dataclass(frozen=True)
class Baseline:
    """The baseline chat's frames (bench/baseline): one room per socket, no hello, no seq."""

    port: int
    hello = False

    def url(self, user_id: int, group: str) -> str:
        return f"ws://{HOST}:{self.port}/ws/chat/{group}/?user={user_id}"

    @staticmethod
    def send_frame(group: str, client_id: str, body: str) -> str:
        return orjson.dumps({"client_id": client_id, "message": body}).decode()

    @staticmethod
    def parse(f: dict[str, Any]) -> list[tuple[str, str | None, Any, Any]]:
        kind = f.get("type")
        return [(kind, f.get("client_id"), None, f.get("message"))] if kind in ("ack", "message") else []


@dataclass(eq=False)
class Client:
    """One socket of one user: sends into ``group``; counts what arrives from any group it is in."""

    adapter: Any
    user_id: int
    group: str
    ws: Socket | None = None
    hello: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, tuple[float, asyncio.Future | None]] = field(default_factory=dict)
    acked: dict[str, None] = field(default_factory=dict)  # client ids, in ack order
    ack_lat: list[float] = field(default_factory=list)
    ack_wall: list[float] = field(default_factory=list)  # when each ack came (epoch s): latency within a time window
    errors: Counter = field(default_factory=Counter)
    sent: int = 0
    received: dict[str, float] = field(default_factory=dict)  # client_id -> delivery latency of the first copy
    dups: int = 0
    disorder: Counter = field(default_factory=Counter)  # seq gaps and out-of-order arrivals per group
    last_seq: dict[str, int] = field(default_factory=dict)
    closed: str | None = None
    last_rx: float = 0.0
    reader: asyncio.Task | None = None

    async def open(self, timeout: float) -> float:
        """Connect (and wait for ``hello``); seconds taken."""
        t0 = time.monotonic()
        self.ws = await Socket.open(self.adapter.url(self.user_id, self.group), f"http://{HOST}:{self.adapter.port}",
                                    timeout)
        if self.adapter.hello:
            self.hello = orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if self.hello.get("type") != "hello":
                raise RuntimeError(f"expected hello, got {str(self.hello)[:200]}")
        took = time.monotonic() - t0
        self.reader = asyncio.create_task(self._read())
        return took

    @property
    def groups(self) -> set[str]:
        return set(self.hello.get("groups") or [self.group])

    async def _read(self) -> None:
        self.closed = await self.ws.listen(self._on_frame)

    def _on_frame(self, raw: bytes) -> None:
        wall, mono = time.time(), time.monotonic()
        for kind, cid, where, extra in self.adapter.parse(orjson.loads(raw)):
            if kind == "message":
                self.last_rx = mono
                if cid in self.received:
                    self.dups += 1
                    continue
                try:
                    self.received[cid] = wall - float(extra.split(" ", 2)[1])
                except (AttributeError, IndexError, ValueError, TypeError):
                    self.received[cid] = -1.0  # not a bench message body
                if where is not None:
                    group, seq = where
                    last = self.last_seq.get(group)
                    if last is not None and seq != last + 1:
                        self.disorder["gap" if seq > last else "out_of_order"] += 1
                    self.last_seq[group] = max(seq, last or 0)
            elif kind in ("ack", "error"):
                if kind == "error":
                    self.errors[extra or "?"] += 1
                entry = self.pending.pop(cid, None)
                if entry is not None:
                    if kind == "ack":
                        self.ack_lat.append(mono - entry[0])
                        self.ack_wall.append(wall)
                        self.acked[cid] = None
                    if entry[1] is not None and not entry[1].done():
                        entry[1].set_result(kind == "ack")

    def send(self, cid: str, fut: asyncio.Future | None = None, group: str | None = None) -> None:
        self.pending[cid] = (time.monotonic(), fut)
        self.ws.send(self.adapter.send_frame(group or self.group, cid, f"{cid} {time.time():.6f} {PAD}"))
        self.sent += 1

    async def closed_loop(self, prefix: str, end: float, ack_timeout: float) -> None:
        """Send the next message as soon as the previous one is acked (or refused)."""
        for i in range(1, 10_000_000):
            if time.monotonic() >= end or self.closed:
                return
            fut = asyncio.get_running_loop().create_future()
            self.send(f"{prefix}-{self.user_id}-{i}", fut)
            try:
                await asyncio.wait_for(fut, ack_timeout)
            except TimeoutError:
                self.errors["ack_timeout"] += 1
                return

    async def open_loop(self, prefix: str, end: float, rate: float, offset: float = 0.0) -> None:
        """Send at a fixed ``rate`` per second whatever the acks do, the first one ``offset`` seconds in."""
        t = time.monotonic() + offset
        for i in range(1, 10_000_000):
            if t >= end or self.closed:
                return
            await asyncio.sleep(max(0.0, t - time.monotonic()))
            self.send(f"{prefix}-{self.user_id}-{i}")
            t += 1.0 / rate

    def reset(self) -> None:
        """Forget one window's figures (the socket stays open) before the next."""
        self.pending.clear()
        self.acked, self.ack_lat, self.errors, self.sent, self.received, self.dups = {}, [], Counter(), 0, {}, 0
        self.ack_wall = []
        self.disorder = Counter()

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:  # closing is best effort at the end of a run
                pass
        if self.reader is not None:
            self.reader.cancel()


@dataclass(frozen=True)
class LoadSpec:
    senders: list[int]
    receivers: list[int]
    duration: float
    mode: str = "closed"  # closed: next send after the ack | rate: ``rate`` msgs/s per sender, open loop
    rate: float = 2.0
    connect_concurrency: int = 50
    drain_max: float = 20.0
    drain_quiet: float = 3.0
    ack_timeout: float = 10.0


async def connect_all(clients: list[Client], *, concurrency: int = 50, deadline_s: float = 300.0) -> dict[str, Any]:
    """Open every client, ``concurrency`` at a time, all within ``deadline_s``; a failed one gets ``closed`` set."""
    sem, times, failures = asyncio.Semaphore(concurrency), [], Counter()
    deadline = time.monotonic() + deadline_s

    async def one(c: Client) -> None:
        async with sem:
            try:
                times.append(await c.open(min(30.0, max(0.1, deadline - time.monotonic()))))
            except Exception as exc:
                failures[type(exc).__name__] += 1
                c.closed, c.ws = f"connect failed {exc!r}"[:200], None

    t0 = time.monotonic()
    await asyncio.gather(*(one(c) for c in clients))
    wall = time.monotonic() - t0
    return {"n": len(clients), "ok": len(times), "failed": dict(failures), "connect_ms": percentiles(times),
            "all_connected_s": round(wall, 2)}


def clients(adapters: list[Any], group: str, spec: LoadSpec) -> tuple[list[Client], list[Client]]:
    """Receivers and senders in one group, each list spread round-robin over the adapters (the server processes)."""
    n = len(adapters)
    return ([Client(adapters[k % n], uid, group) for k, uid in enumerate(spec.receivers)],
            [Client(adapters[k % n], uid, group) for k, uid in enumerate(spec.senders)])


async def run_load(adapters: list[Any], group: str, spec: LoadSpec, rates: list[float] | None = None, *,
                   sampler_factory=None, on_start=None, on_step=None, pause: float = 2.0) -> dict[str, Any]:
    """Connect receivers then senders, then one measured window, or with ``rates`` one window per rate (open loop,
    each measured on its own, the same sockets) until ``on_step(rate, result)`` returns False."""
    receivers, senders = clients(adapters, group, spec)
    everyone = receivers + senders
    out: dict[str, Any] = {"connections": await connect_all(everyone, concurrency=spec.connect_concurrency)}
    prefix = f"b{int(time.time() * 1000) % 10**9}"
    try:
        await asyncio.sleep(1.0)
        out["steps"] = []
        for i, rate in enumerate(rates or [spec.rate]):
            for c in everyone:
                c.reset()
            step_spec = replace(spec, mode="rate", rate=rate) if rates else spec
            sampler = sampler_factory() if sampler_factory else None
            out["steps"].append(await window(receivers, senders, step_spec, f"{prefix}s{i}", sampler, on_start))
            if on_step is not None and not on_step(rate, out["steps"][-1]):
                break
            if sum(1 for c in everyone if c.closed) > len(everyone) // 10:
                break  # the server is shedding sockets: later steps would measure nothing useful
            if rates:
                await asyncio.sleep(pause)
    finally:
        await asyncio.gather(*(c.close() for c in everyone))
    return out


async def window(receivers: list[Client], senders: list[Client], spec: LoadSpec, prefix: str, sampler=None,
                 on_start=None) -> dict[str, Any]:
    """One measured window on open sockets: send for ``spec.duration``, drain until every acked message has reached
    every receiver in its group (or ``drain_quiet`` s of silence, or ``drain_max``), then the figures."""
    if sampler is not None:
        sampler.start()
    if on_start is not None:
        on_start()
    t_start = time.monotonic()
    end = t_start + spec.duration
    live = [s for s in senders if s.ws is not None and not s.closed]
    await asyncio.gather(*(s.closed_loop(prefix, end, spec.ack_timeout) if spec.mode == "closed"
                           else s.open_loop(prefix, end, spec.rate, k / max(len(live), 1) / spec.rate)
                           for k, s in enumerate(live)))
    t_sent = time.monotonic()
    rx = [r for r in receivers if r.ws is not None]
    audience = {id(r): [s for s in senders if s is not r and s.group in groups] for r in rx for groups in [r.groups]}
    while time.monotonic() < t_sent + spec.drain_max:
        pending = sum(len(s.pending) for s in senders)
        behind = any(cid not in r.received for r in rx for s in audience[id(r)] for cid in s.acked)
        quiet = time.monotonic() - max([r.last_rx for r in rx] + [t_sent]) > spec.drain_quiet
        if pending == 0 and (not behind or quiet):
            break
        await asyncio.sleep(0.1)
    t_done = time.monotonic()
    resources = sampler.stop() if sampler is not None else None
    return {"send": sent_figures(senders, t_sent - t_start, spec),
            "delivery": delivery_figures(rx, audience, t_done - t_start, t_done - t_sent),
            "unexpected_closes": dict(Counter(c.closed for c in receivers + senders if c.closed)),
            "resources": resources}


def sent_figures(senders: list[Client], seconds: float, spec: LoadSpec) -> dict[str, Any]:
    acked = sum(len(s.acked) for s in senders)
    sent = sum(s.sent for s in senders)
    return {"senders": len(senders), "mode": spec.mode, "rate_per_sender": spec.rate if spec.mode == "rate" else None,
            "duration_s": round(seconds, 2), "sent": sent, "acked": acked, "not_acked": sent - acked,
            "errors": dict(sum((s.errors for s in senders), Counter())),
            "acked_per_s": round(acked / max(seconds, 1e-9), 1),
            "ack_ms": percentiles(_ack_series(senders))}


def _ack_series(senders: list[Client]) -> list[float]:
    """The ack latencies; with ``BENCH_ACK_SERIES=path`` also every ack's (time, latency) written to that file, from
    which another process (bench/compliance.py's purge part) takes the acks within its own time window."""
    if path := os.environ.get("BENCH_ACK_SERIES"):
        with open(path, "wb") as fh:
            fh.write(orjson.dumps([[w, lat] for s in senders for w, lat in zip(s.ack_wall, s.ack_lat, strict=True)]))
    return [x for s in senders for x in s.ack_lat]


def delivery_figures(rx: list[Client], audience: dict[int, list[Client]], seconds: float,
                     drain: float) -> dict[str, Any]:
    """Expected = every acked message of the senders in a receiver's groups; between processes = sender and receiver
    on different servers (the channel layer's part)."""
    counts = Counter()
    lat: list[float] = []
    for r in rx:
        for s in audience[id(r)]:
            got = [r.received[cid] for cid in s.acked if cid in r.received]
            where = "same" if s.adapter == r.adapter else "across"
            counts["expected"] += len(s.acked)
            counts["delivered"] += len(got)
            counts[f"{where}_expected"] += len(s.acked)
            counts[f"{where}_delivered"] += len(got)
            lat.extend(got)
    expected, delivered = counts["expected"], counts["delivered"]
    return {"receivers": len(rx), "expected": expected, "delivered": delivered, "lost": expected - delivered,
            "duplicated": sum(r.dups for r in rx),
            "disorder": dict(sum((r.disorder for r in rx), Counter())),
            "across_servers": {"expected": counts["across_expected"],
                               "lost": counts["across_expected"] - counts["across_delivered"]},
            "deliveries_per_s": round(delivered / max(seconds, 1e-9), 1), "latency_ms": percentiles(lat),
            "drain_s": round(drain, 2)}


def run(coro):
    return uvloop.run(coro)
