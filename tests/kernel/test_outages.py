"""Outages (issue 13 item 5): Redis and PostgreSQL stopped and restarted under traffic.

Each test starts PRIVATE instances on free ports in a temp dir (``redis-server``; ``initdb``/``pg_ctl`` from
/usr/lib/postgresql/*/bin), never the shared ones, and a real server process (uvicorn serving groupchat.asgi) against
them. A sender keeps sending while the outage lasts; a receiver reads live and, at the end, fills its gap with
``resume``, as the web client does.

- Redis is not the system of record: while it is down every send is still stored and acked (rate limits counted in
  process memory); live fan-out comes back by itself when Redis does.
- PostgreSQL is: while it is down sends are refused with the retryable ``unavailable`` (``retry_after``), never acked
  and never ``server_error``; the sender retries with the same client_id (what static/js/chat.js does).
Afterwards every acked message reaches the receiver once, and every message is stored once with contiguous ``seq``.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import websockets
from django.conf import settings

from tests.groups.e2e import chat_group
from tests.live_server import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))[-1])
OUTAGE = 2.5  # seconds each service stays down


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class PrivateRedis:
    def __init__(self, tmp: Path) -> None:
        self.port, self.dir, self.proc = free_port(), tmp, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class PrivatePostgres:
    def __init__(self, tmp: Path) -> None:
        self.port, self.data = free_port(), tmp / "pgdata"
        self.socket_dir = tmp
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/gc"
        if os.geteuid() == 0:
            shutil.chown(tmp, "postgres")
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                                     "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", *args]),
                       check=True, capture_output=True)

    def start(self) -> None:
        self._ctl("-l", str(self.socket_dir / "pg.log"), "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def load(self, source_db: str) -> None:
        """A copy of the test database (schema, seeds and the test's rows) as database ``gc``."""
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q", "-c",
                        "CREATE DATABASE gc"], check=True, capture_output=True)
        dump = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "--no-owner", source_db],
                              check=True, capture_output=True).stdout
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q", "-d", "gc",
                        "-v", "ON_ERROR_STOP=1"], input=dump, check=True, capture_output=True)


class Server:
    """groupchat.asgi under uvicorn in its own process (as in production), against the given services."""

    def __init__(self, tmp: Path, *, database_url: str, redis_url: str) -> None:
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
               "GROUPCHAT_SEND_RATE": "100000/10second"}  # the traffic is the point here, not the rate
        env.pop("TEST_DATABASE_URL", None)
        env.pop("TEST_REDIS_URL", None)
        self.log_path = tmp / "server.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "groupchat.asgi:application", "--host", "127.0.0.1", "--port",
             str(self.port), "--ws", "websockets-sansio", "--lifespan", "off", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        _wait_port(self.port, 30)

    async def connect(self, token: str):
        ws = await websockets.connect(f"ws://127.0.0.1:{self.port}/ws/?token={token}",
                                      origin=f"http://127.0.0.1:{self.port}", max_size=None)
        assert json.loads(await ws.recv())["type"] == "hello"
        return ws

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def _seqs(frame: dict) -> list[int]:
    if frame["type"] == "message":
        return [frame["message"]["seq"]]
    if frame["type"] == "messages":
        return [m["seq"] for m in frame["messages"]]
    return []


async def _traffic(server: Server, code: str, tokens: list[str], outage, *, count: int = 60) -> dict:
    """Send ``count`` messages, one every 50 ms, while ``outage()`` runs; retry refused ones with their client_id
    after ``retry_after`` (as the web client does). What the sender and the receiver saw."""
    sender, receiver = await server.connect(tokens[0]), await server.connect(tokens[1])
    acks: dict[str, int] = {}
    errors: list[dict] = []
    live: list[int] = []
    replay: list[int] = []
    pending: dict[str, str] = {}

    async def read_sender() -> None:
        async for text in sender:
            frame = json.loads(text)
            if frame["type"] == "ack":
                assert frame["client_id"] not in acks or acks[frame["client_id"]] == frame["message"]["seq"]
                acks[frame["client_id"]] = frame["message"]["seq"]
                pending.pop(frame["client_id"], None)
            elif frame["type"] == "error":
                errors.append(frame)
                if frame["code"] == "unavailable":
                    asyncio.get_running_loop().call_later(
                        frame["retry_after"] / 4, lambda cid=frame["client_id"]: asyncio.ensure_future(send(cid)))

    async def read_receiver() -> None:
        async for text in receiver:
            frame = json.loads(text)
            (replay if frame.get("replay") else live).extend(_seqs(frame))

    async def send(client_id: str) -> None:
        await sender.send(json.dumps({"type": "send", "group": code, "client_id": client_id,
                                      "body": pending[client_id]}))

    readers = [asyncio.ensure_future(read_sender()), asyncio.ensure_future(read_receiver())]
    outage_task = asyncio.ensure_future(outage())
    for i in range(count):
        pending[f"m{i}"] = f"第{i}条"
        await send(f"m{i}")
        await asyncio.sleep(0.05)
    await outage_task
    deadline = time.monotonic() + 30
    while pending and time.monotonic() < deadline:  # the retries of refused sends
        await asyncio.sleep(0.1)
    assert not pending, f"never acked: {sorted(pending)}; errors {errors[-3:]}"
    # Live delivery comes back: probes are sent until one reaches the receiver live (a probe published before the
    # layer has subscribed again is lost on the wire, like anything published during the outage).
    deadline = time.monotonic() + 20
    k = 0
    while time.monotonic() < deadline and not any(acks.get(f"probe{i}") in live for i in range(k)):
        pending[f"probe{k}"] = "探测"
        await send(f"probe{k}")
        k += 1
        await asyncio.sleep(0.2)
    assert any(acks.get(f"probe{i}") in live for i in range(k)), "live delivery did not come back"
    while pending and time.monotonic() < deadline + 5:
        await asyncio.sleep(0.05)
    # The receiver fills its gap as the web client does: resume from the last seq it holds without a gap.
    cursor = 0
    while cursor + 1 in live:
        cursor += 1
    await receiver.send(json.dumps({"type": "resume", "cursors": {code: cursor}}))
    await asyncio.sleep(1)
    for task in readers:
        task.cancel()
    await sender.close()
    await receiver.close()
    return {"acks": acks, "errors": errors, "live": live, "replay": replay, "cursor": cursor}


def _check_delivery(result: dict) -> None:
    acks, live, replay, cursor = result["acks"], result["live"], result["replay"], result["cursor"]
    assert all(e["code"] == "unavailable" for e in result["errors"]), result["errors"][:3]  # never server_error
    assert sorted(acks.values()) == list(range(1, len(acks) + 1))  # one seq per client_id, contiguous
    assert len(live) == len(set(live)) and len(replay) == len(set(replay))  # nothing delivered twice
    assert replay == [s for s in sorted(acks.values()) if s > cursor]  # resume gives exactly the rest
    assert sorted(set(live) | set(replay)) == sorted(acks.values())  # every acked message reached the receiver


@pytest.fixture
def tmp():
    path = Path(tempfile.mkdtemp(prefix="gc-outage-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def test_redis_stopped_under_traffic_sends_are_still_stored_and_acked_and_fan_out_comes_back(tmp):
    from asgiref.sync import sync_to_async

    code, tokens = await chat_group(2)
    redis = PrivateRedis(tmp)
    redis.start()
    server = Server(tmp, database_url=_test_database_url(), redis_url=redis.url)
    try:
        async def outage() -> None:
            await asyncio.sleep(0.5)
            redis.stop()
            await asyncio.sleep(OUTAGE)
            redis.start()

        try:
            result = await _traffic(server, code, tokens, outage)
        except AssertionError as exc:
            server.stop()
            raise AssertionError(f"{exc}\n--- server log ---\n{server.tail()}") from exc
    finally:
        if server.proc.poll() is None:
            server.stop()
        if redis.proc.poll() is None:
            redis.stop()
    assert result["errors"] == []  # not one send refused while Redis was down
    _check_delivery(result)
    stored = await sync_to_async(_stored)(code)
    assert stored == sorted(result["acks"].values())


async def test_postgres_stopped_under_traffic_sends_are_refused_retryably_and_all_land_once(tmp):
    code, tokens = await chat_group(2)
    redis = PrivateRedis(tmp)
    redis.start()
    pg = PrivatePostgres(tmp)
    pg.start()
    try:
        pg.load(settings.DATABASES["default"]["NAME"])
        server = Server(tmp, database_url=pg.url, redis_url=redis.url)
        try:
            async def outage() -> None:
                await asyncio.sleep(0.5)
                await asyncio.to_thread(pg.stop)
                await asyncio.sleep(OUTAGE)
                await asyncio.to_thread(pg.start)

            result = await _traffic(server, code, tokens, outage)
        finally:
            server.stop()
        assert result["errors"], "the outage refused no send: it did not happen under traffic"
        _check_delivery(result)
        rows = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "gc", "-At", "-c",
             "SELECT m.seq, m.client_id FROM groups_message m JOIN groups_group g ON g.id = m.group_id "
             f"WHERE g.code = '{code}' ORDER BY m.seq"], check=True, capture_output=True, text=True).stdout.split()
        stored = {cid: int(seq) for seq, cid in (r.split("|") for r in rows)}
        assert stored == result["acks"]  # every message stored once, under the seq its ack gave
    finally:
        pg.stop()
        redis.stop()


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _stored(code: str) -> list[int]:
    from groups.models import Message

    return list(Message.objects.filter(group__code=code).order_by("seq").values_list("seq", flat=True))
