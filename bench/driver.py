"""The load driver: asyncio + websockets (uvloop when present), speaking the real protocol through a thin adapter.

Every message body is ``"<client_id> <unix time at send> <padding>"`` so a receiver times delivery without talking to
the sender (same machine, same clock), and matches deliveries to acks by ``client_id``.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from picows import WSCloseCode, WSListener, WSMsgType, WSTransport, ws_connect
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .common import HOST, percentiles
from .data import token_for

PAD = "压测 lorem ipsum dolor sit amet, consectetur adipiscing"


# --- the client library: one socket's frames in and out ---------------------------------------------------------------
# picows (the default) hands each frame to a callback as it arrives, in Cython: no per-frame future, queue or task,
# so the driver spends a fraction of what the websockets library's asyncio client does per frame (which had put the
# driver, not the server, at the limit of the fan-out ceiling). ``--client websockets`` selects the other for
# comparison; the JSON records which one ran.
CLIENT = {"value": "picows"}


class WebsocketsSocket:
    """The websockets library's asyncio client."""

    def __init__(self, ws) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, url: str, origin: str, timeout: float) -> WebsocketsSocket:
        return cls(await connect(url, origin=origin, compression=None, ping_interval=None, max_size=2**22,
                                 open_timeout=timeout, close_timeout=2))

    async def recv(self) -> str:
        return await self.ws.recv()

    async def send(self, text: str) -> None:
        await self.ws.send(text)

    async def listen(self, on_frame) -> str | None:
        """Hand every frame to ``on_frame`` until the socket closes; the close code."""
        try:
            async for raw in self.ws:
                on_frame(raw)
        except ConnectionClosed as exc:
            return f"{exc.rcvd.code if exc.rcvd else 'no close frame'}"
        return None  # a normal close (1000, 1001), as the end of its iteration says

    async def close(self) -> None:
        await self.ws.close()


class PicowsSocket(WSListener):
    """picows' core API: ``on_ws_frame`` is called for each frame straight from the transport's buffer."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.transport: WSTransport | None = None
        self.on_frame = None  # set by ``listen``; frames before that (the hello) queue in ``early``, None: gone
        self.early: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.close_code: str | None = None
        self.gone = loop.create_future()

    @classmethod
    async def open(cls, url: str, origin: str, timeout: float) -> PicowsSocket:
        _, listener = await asyncio.wait_for(ws_connect(cls, url, websocket_handshake_timeout=timeout,
                                                        max_frame_size=2**22, extra_headers={"Origin": origin}),
                                             timeout)
        return listener

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame) -> None:
        kind = frame.msg_type
        if kind == WSMsgType.TEXT:
            if not frame.fin:  # the server sends whole messages; a fragment would be misread, so say so
                self._fail("fragmented frame")
                return
            data = frame.get_payload_as_bytes()
            if self.on_frame is None:
                self.early.put_nowait(data)
                return
            try:
                self.on_frame(data)
            except Exception as exc:  # as with the websockets client: a bad frame ends this socket, and is reported
                self._fail(f"reader error {exc!r}"[:200])
        elif kind == WSMsgType.CLOSE:
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

    async def send(self, text: str) -> None:
        self.transport.send(WSMsgType.TEXT, text.encode())

    async def listen(self, on_frame) -> str | None:
        """As ``WebsocketsSocket.listen``."""
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


async def open_socket(url: str, origin: str, timeout: float) -> PicowsSocket | WebsocketsSocket:
    """A connected socket of the selected client library (``CLIENT``)."""
    opener = PicowsSocket.open if CLIENT["value"] == "picows" else WebsocketsSocket.open
    return await opener(url, origin, timeout)


# --- adapters: the two servers' wire formats ------------------------------------------------------------------------
@dataclass
class GroupchatAdapter:
    port: int
    label: str = "groupchat"
    hello: bool = True

    def url(self, user_id: int, group: str) -> str:
        return f"ws://{HOST}:{self.port}/ws/?token={token_for(user_id)}"

    @staticmethod
    def send_frame(group: str, client_id: str, body: str) -> str:
        return orjson.dumps({"type": "send", "group": group, "client_id": client_id, "body": body}).decode()

    @staticmethod
    def parse(frame: dict[str, Any]) -> list[tuple[str, str | None, int | None, str | None]]:
        """[(kind, client_id, seq, body)]: one per message of a ``messages`` frame, else one."""
        kind = frame.get("type")
        if kind == "ack":
            m = frame.get("message") or {}
            return [("ack", frame.get("client_id"), m.get("seq"), None)]
        if kind == "message":
            m = frame["message"]
            return [("message", m.get("client_id"), m.get("seq"), m.get("body"))]
        if kind == "messages":
            return [("message", m.get("client_id"), m.get("seq"), m.get("body")) for m in frame["messages"]]
        if kind == "error":
            return [("error", frame.get("client_id"), None, frame.get("code"))]
        return [(kind or "?", None, None, None)]


@dataclass
class BaselineAdapter:
    port: int
    label: str = "baseline"
    hello: bool = False

    def url(self, user_id: int, group: str) -> str:
        return f"ws://{HOST}:{self.port}/ws/chat/{group}/?user={user_id}"

    @staticmethod
    def send_frame(group: str, client_id: str, body: str) -> str:
        return orjson.dumps({"client_id": client_id, "message": body}).decode()

    @staticmethod
    def parse(frame: dict[str, Any]) -> list[tuple[str, str | None, int | None, str | None]]:
        kind = frame.get("type")
        if kind == "ack":
            return [("ack", frame.get("client_id"), None, None)]
        if kind == "message":
            return [("message", frame.get("client_id"), None, frame.get("message"))]
        return [(kind or "?", None, None, None)]


# --- one socket ------------------------------------------------------------------------------------------------------
@dataclass
class Client:
    adapter: Any
    user_id: int
    group: str
    receiver: bool
    ws: Any = None
    reader: asyncio.Task | None = None
    pending: dict[str, tuple[float, asyncio.Future | None]] = field(default_factory=dict)
    acked: dict[str, int | None] = field(default_factory=dict)  # client_id -> seq
    ack_lat: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    sent: int = 0
    received: dict[str, int] = field(default_factory=dict)  # client_id -> times received
    seqs: list[int] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    closed: str | None = None
    last_rx: float = 0.0

    async def open(self, timeout: float) -> None:
        self.ws = await open_socket(self.adapter.url(self.user_id, self.group), f"http://{HOST}:{self.adapter.port}",
                                    timeout)
        if self.adapter.hello:
            frame = orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if frame.get("type") != "hello":
                raise RuntimeError(f"expected hello, got {frame}")
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            self.closed = await self.ws.listen(self._on_frame)
        except Exception as exc:  # a bad frame ends this socket's reading, and is reported
            self.closed = f"reader error {exc!r}"[:200]

    def _on_frame(self, raw: bytes | str) -> None:
        wall = time.time()
        mono = time.monotonic()
        for kind, cid, seq, extra in self.adapter.parse(orjson.loads(raw)):
            if kind == "message":
                self.last_rx = mono
                if not self.receiver or cid is None:
                    continue
                n = self.received.get(cid, 0)
                self.received[cid] = n + 1
                if n == 0:
                    if seq is not None:
                        self.seqs.append(seq)
                    try:
                        self.lat.append(wall - float(extra.split(" ", 2)[1]))
                    except (AttributeError, IndexError, ValueError):
                        pass
            elif kind == "ack":
                entry = self.pending.pop(cid, None)
                if entry is not None:
                    self.ack_lat.append(mono - entry[0])
                    self.acked[cid] = seq
                    if entry[1] is not None and not entry[1].done():
                        entry[1].set_result(True)
            elif kind == "error":
                self.errors[extra or "?"] += 1
                entry = self.pending.pop(cid, None) if cid else None
                if entry is not None and entry[1] is not None and not entry[1].done():
                    entry[1].set_result(False)

    def _body(self, cid: str) -> str:
        return f"{cid} {time.time():.6f} {PAD}"

    async def send_one(self, cid: str, fut: asyncio.Future | None) -> None:
        self.pending[cid] = (time.monotonic(), fut)
        await self.ws.send(self.adapter.send_frame(self.group, cid, self._body(cid)))
        self.sent += 1

    async def closed_loop(self, prefix: str, end: float, max_count: int, ack_timeout: float) -> None:
        """Send the next message as soon as the previous one is acked (or refused)."""
        loop = asyncio.get_running_loop()
        for i in range(1, max_count + 1):
            if time.monotonic() >= end or self.closed:
                return
            fut = loop.create_future()
            await self.send_one(f"{prefix}-{self.user_id}-{i}", fut)
            try:
                await asyncio.wait_for(fut, ack_timeout)
            except TimeoutError:
                self.errors["ack_timeout"] += 1
                return

    async def open_loop(self, prefix: str, end: float, max_count: int, rate: float) -> None:
        """Send at a fixed ``rate`` per second whatever the acks do."""
        next_t = time.monotonic()
        for i in range(1, max_count + 1):
            now = time.monotonic()
            if now >= end or self.closed:
                return
            if next_t > now:
                await asyncio.sleep(next_t - now)
            await self.send_one(f"{prefix}-{self.user_id}-{i}", None)
            next_t += 1.0 / rate

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:  # closing is best effort at the end of a run
                pass
        if self.reader is not None:
            self.reader.cancel()


# --- a load run ------------------------------------------------------------------------------------------------------
@dataclass
class LoadSpec:
    senders: list[int]
    receivers: list[int]
    duration: float
    mode: str = "closed"  # closed: next send after the ack | rate: fixed rate per sender
    rate: float = 2.0
    max_per_sender: int = 1_000_000
    connect_concurrency: int = 50
    connect_deadline: float = 180.0
    drain_max: float = 15.0
    drain_quiet: float = 3.0
    ack_timeout: float = 10.0
    senders_on: int | None = None  # put every sender on the first N servers (default: all of them)


async def connect_all(clients: list[Any], *, concurrency: int, deadline_s: float) -> dict[str, Any]:
    """``await c.open(timeout)`` for every client (connect -> hello), ``concurrency`` at a time, all within
    ``deadline_s``; a client that fails gets ``closed`` set. Also used by bench.manygroups."""
    sem = asyncio.Semaphore(concurrency)
    times: list[float] = []
    failures: Counter = Counter()
    deadline = time.monotonic() + deadline_s

    async def one(c: Any) -> None:
        async with sem:
            left = deadline - time.monotonic()
            if left <= 0:
                failures["deadline"] += 1
                return
            t0 = time.monotonic()
            try:
                await c.open(min(30.0, left))
                times.append(time.monotonic() - t0)
            except Exception as exc:
                failures[type(exc).__name__] += 1
                c.closed = f"connect failed {exc!r}"[:200]

    t0 = time.monotonic()
    await asyncio.gather(*(one(c) for c in clients))
    wall = time.monotonic() - t0
    return {"n": len(clients), "ok": len(times), "failed": dict(failures), "connect_ms": percentiles(times),
            "all_connected_s": round(wall, 2), "connects_per_s": round(len(times) / max(wall, 1e-9), 1)}


def _clients(adapters: list[Any], groups: list[str], spec: LoadSpec) -> tuple[list[Client], list[Client]]:
    """Receivers and senders, each list spread round-robin over the adapters (client k on adapters[k % n])."""
    n = len(adapters)
    receivers = [Client(adapters[k % n], uid, groups[k % n], True) for k, uid in enumerate(spec.receivers)]
    ns = min(spec.senders_on or n, n)  # senders on the first ns adapters only (a group's "home" process)
    senders = [Client(adapters[k % ns], uid, groups[k % ns], False) for k, uid in enumerate(spec.senders)]
    return receivers, senders


def _reset(clients: list[Client]) -> None:
    """Forget one phase's figures (the sockets stay open) before the next phase."""
    for c in clients:
        c.pending.clear()
        c.acked = {}
        c.ack_lat = []
        c.errors = Counter()
        c.sent = 0
        c.received = {}
        c.seqs = []
        c.lat = []


async def run_load(adapters: list[Any], groups: list[str], spec: LoadSpec, *, sampler=None, prefix: str = "",
                   on_start=None) -> dict:
    """Connect receivers then senders (each spread round-robin over the adapters), send for ``spec.duration``,
    drain, measure. ``on_start()`` (optional) is called as the send window opens."""
    prefix = prefix or f"b{int(time.time() * 1000) % 10**9}"
    receivers, senders = _clients(adapters, groups, spec)
    conn = await connect_all(receivers + senders, concurrency=spec.connect_concurrency,
                              deadline_s=spec.connect_deadline)
    await asyncio.sleep(1.0)
    try:
        result = await _phase(receivers, senders, spec, prefix, sampler, on_start)
    finally:
        await asyncio.gather(*(c.close() for c in receivers + senders))
    return {"connections": conn, **result}


async def run_steps(adapters: list[Any], groups: list[str], spec: LoadSpec, rates: list[float], *,
                    sampler_factory=None, stop=None, pause: float = 2.0, on_step=None) -> dict:
    """One set of sockets, several rate steps: for each rate in ``rates`` send at that rate per sender for
    ``spec.duration`` and drain, measured as a run of its own. Stops after the first step for which
    ``stop(result)`` is true. Returns {"connections", "steps": [result, ...]}."""
    base = f"b{int(time.time() * 1000) % 10**9}"
    receivers, senders = _clients(adapters, groups, spec)
    conn = await connect_all(receivers + senders, concurrency=spec.connect_concurrency,
                              deadline_s=spec.connect_deadline)
    steps: list[dict] = []
    try:
        await asyncio.sleep(1.0)
        for i, rate in enumerate(rates):
            _reset(receivers + senders)
            step_spec = LoadSpec(**{**spec.__dict__, "mode": "rate", "rate": rate})
            sampler = sampler_factory() if sampler_factory is not None else None
            result = {"connections": conn, **await _phase(receivers, senders, step_spec, f"{base}s{i:03d}", sampler)}
            steps.append(result)
            if on_step is not None:
                on_step(rate, result)
            if stop is not None and stop(result):
                break
            if sum(1 for c in receivers + senders if c.closed) > len(receivers + senders) // 10:
                break  # the server is shedding sockets: later steps would measure nothing useful
            await asyncio.sleep(pause)
    finally:
        await asyncio.gather(*(c.close() for c in receivers + senders))
    return {"connections": conn, "steps": steps}


async def _phase(receivers: list[Client], senders: list[Client], spec: LoadSpec, prefix: str, sampler,
                 on_start=None) -> dict:
    """One measured window on open sockets: send for ``spec.duration``, drain, figures."""
    if sampler is not None:
        sampler.start()
    if on_start is not None:
        on_start()
    t_start = time.monotonic()
    end = t_start + spec.duration
    live = [s for s in senders if s.ws is not None and not s.closed]
    if spec.mode == "closed":
        tasks = [s.closed_loop(prefix, end, spec.max_per_sender, spec.ack_timeout) for s in live]
    else:
        tasks = [s.open_loop(prefix, end, spec.max_per_sender, spec.rate) for s in live]
    await asyncio.gather(*tasks)
    t_sent = time.monotonic()
    # Wait for outstanding acks and deliveries: until everything acked has reached every receiver, or quiet, or max.
    acked: dict[str, int | None] = {}
    drain_end = t_sent + spec.drain_max
    live_rx = [r for r in receivers if r.ws is not None]
    while time.monotonic() < drain_end:
        acked = {}
        for s in senders:
            acked.update(s.acked)
        pending = sum(len(s.pending) for s in senders)
        behind = sum(1 for r in live_rx if len(r.received) < len(acked))
        last_rx = max([r.last_rx for r in live_rx] + [t_sent])
        if pending == 0 and behind == 0:
            break
        if time.monotonic() - last_rx > spec.drain_quiet and pending == 0:
            break
        await asyncio.sleep(0.1)
    t_done = time.monotonic()
    cpu = sampler.stop() if sampler is not None else None
    for s in senders:
        acked.update(s.acked)

    # --- figures --------------------------------------------------------------------------------------------------
    ack_lat = [x for s in senders for x in s.ack_lat]
    errors: Counter = Counter()
    for c in senders + receivers:
        errors.update(c.errors)
    sent = sum(s.sent for s in senders)
    last_ack_window = max(t_sent - t_start, 1e-9)
    acked_ids = set(acked)
    acked_seqs = sorted(v for v in acked.values() if v is not None)
    expected = delivered = duplicated = unexpected = gaps = out_of_order = 0
    lat: list[float] = []
    per_adapter: dict[str, dict[str, int]] = {}
    # deliveries between sockets on different server processes (the channel layer's part), and on the same one
    by_adapter: dict[int, set[str]] = {}
    for s in senders:
        by_adapter.setdefault(id(s.adapter), set()).update(s.acked)
    multi = len({id(c.adapter) for c in receivers + senders}) > 1
    cross = {"expected": 0, "delivered": 0}
    same = {"expected": 0, "delivered": 0}
    for r in receivers:
        if r.ws is None:
            continue
        got = r.received
        exp = len(acked_ids)
        dlv = sum(1 for cid in acked_ids if cid in got)
        expected += exp
        delivered += dlv
        duplicated += sum(v - 1 for v in got.values() if v > 1)
        unexpected += sum(1 for cid in got if cid not in acked_ids and cid.startswith(prefix + "-"))
        prev = None
        for s in r.seqs:
            if prev is not None:
                if s < prev:
                    out_of_order += 1
                elif s > prev + 1:
                    gaps += 1
            prev = s
        lat.extend(r.lat)
        pa = per_adapter.setdefault(f"{r.adapter.label}:{r.adapter.port}", {"receivers": 0, "expected": 0,
                                                                            "delivered": 0})
        pa["receivers"] += 1
        pa["expected"] += exp
        pa["delivered"] += dlv
        if multi:
            for key, ids in by_adapter.items():
                bucket = same if key == id(r.adapter) else cross
                bucket["expected"] += len(ids)
                bucket["delivered"] += sum(1 for cid in ids if cid in got)
    closes = Counter(c.closed for c in receivers + senders if c.closed)
    seq_contiguous = None
    if acked_seqs:
        seq_contiguous = acked_seqs[-1] - acked_seqs[0] + 1 == len(acked_seqs)
    delivery = {
        "receivers": len(live_rx), "expected": expected, "delivered": delivered,
        "missing": expected - delivered, "duplicated": duplicated, "unexpected": unexpected,
        "seq_gaps_seen": gaps, "out_of_order": out_of_order,
        "completeness_pct": round(100 * delivered / expected, 3) if expected else None,
        "deliveries_per_s": round(delivered / max(t_done - t_start, 1e-9), 1),
        "latency_ms": percentiles(lat), "drain_s": round(t_done - t_sent, 2), "per_server": per_adapter,
    }
    if multi:
        delivery["across_servers"] = {**cross, "missing": cross["expected"] - cross["delivered"]}
        delivery["same_server"] = {**same, "missing": same["expected"] - same["delivered"]}
    return {
        "send": {
            "senders": len(live), "mode": spec.mode, "rate_per_sender": spec.rate if spec.mode == "rate" else None,
            "duration_s": round(last_ack_window, 2), "sent": sent, "acked": len(acked_ids),
            "not_acked": sent - len(acked_ids), "errors": dict(errors),
            "accepted_msgs_per_s": round(len(acked_ids) / last_ack_window, 1),
            "ack_ms": percentiles(ack_lat), "acked_seq_contiguous": seq_contiguous,
        },
        "delivery": delivery,
        "unexpected_closes": dict(closes),
        "resources": cpu,
        "driver_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run(coro):
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)
