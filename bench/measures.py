"""Measures reach sockets (issue 15): the time from a measure's commit to the LAST of the group's 2,000 members'
sockets being told, p95 over the rounds (budget 200 ms).

One groupchat server; the fan-out group's 2,000 members each hold a socket. A job process inside the code's Django
(``python -m bench.measures job GID``) issues a posting suspension on the group, then lifts it, on command; it stamps
the wall clock in the first on-commit callback of the measure's transaction (so the stamp is the commit, before any
broadcast), and the driver stamps each socket's ``group_status`` frame on arrival (same machine, same clock).

    .venv/bin/python -m bench.run measures [--rounds 20] [--receivers 2000] [--pause 0.5]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any

import orjson

from . import data, driver
from .common import HOST, PY, Code, percentiles, register


def job_main(group_id: int) -> None:
    """Inside the code's Django: on ``issue`` / ``lift`` from stdin, take or lift a posting suspension on the group;
    print ``{"t": commit wall time, "status": ...}`` per command."""
    import django

    django.setup()
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from groups.models import Group
    from moderation.measures import measure_issue, measure_lift
    from moderation.models_measures import MeasureKind

    group = Group.objects.get(pk=group_id)
    measure = None
    for line in sys.stdin:
        command, stamp = line.strip(), []
        with transaction.atomic():
            transaction.on_commit(lambda stamp=stamp: stamp.append(time.time()))  # runs first, at the commit
            if command == "issue":
                measure = measure_issue(kind=MeasureKind.SUSPEND_POSTING, operator=None, reason_code="PLT-SPAM",
                                        target_group=group, until=timezone.now() + timedelta(hours=1),
                                        evidence={"bench": True}, report=False, source="bench")
                status = "suspended"
            else:
                measure_lift(measure=measure, operator=None, reason="bench")
                status = "open"
        # ``sent``: when the transaction's on-commit work (the broadcast to the channel layer) was done.
        print(json.dumps({"t": stamp[0], "sent": time.time(), "status": status}), flush=True)


class Member:
    """One member's socket: the wall time its first ``group_status`` frame of the expected status arrived."""

    def __init__(self, port: int, user_id: int) -> None:
        self.url = f"ws://{HOST}:{port}/ws/?token={data.token_for(user_id)}"
        self.origin = f"http://{HOST}:{port}"
        self.expect: str | None = None
        self.told: float | None = None
        self.ws: driver.Socket | None = None

    async def open(self) -> None:
        self.ws = await driver.Socket.open(self.url, self.origin, 30.0)
        hello = orjson.loads(await asyncio.wait_for(self.ws.recv(), 30.0))
        assert hello.get("type") == "hello", hello
        self.reader = asyncio.create_task(self.ws.listen(self.on_frame))

    def on_frame(self, raw: bytes) -> None:
        if self.told is None and b'"group_status"' in raw:
            frame = orjson.loads(raw)
            if frame.get("type") == "group_status" and frame.get("status") == self.expect:
                self.told = time.time()


async def rounds(code: Code, db: str, port: int, o) -> dict[str, Any]:
    members = [Member(port, uid) for uid in data.member_ids("fanout")[:o.receivers]]
    sem = asyncio.Semaphore(50)

    async def open_one(m: Member) -> None:
        async with sem:
            await m.open()

    t0 = time.monotonic()
    await asyncio.gather(*(open_one(m) for m in members))
    connected_s = time.monotonic() - t0
    job = await asyncio.create_subprocess_exec(
        PY, "-m", "bench.measures", "job", str(data.group_id("fanout")), cwd=code.pythonpath,
        env=data.gc_env(code, db), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    lasts: list[float] = []
    sent: list[float] = []
    each: list[float] = []
    missed = 0
    try:
        await asyncio.sleep(1.0)
        for _ in range(o.rounds):
            for command, status in (("issue", "suspended"), ("lift", "open")):
                for m in members:
                    m.expect, m.told = status, None
                job.stdin.write(f"{command}\n".encode())
                await job.stdin.drain()
                reply = json.loads(await asyncio.wait_for(job.stdout.readline(), 30.0))
                deadline = time.monotonic() + o.timeout
                while any(m.told is None for m in members) and time.monotonic() < deadline:
                    await asyncio.sleep(0.005)
                sent.append(reply["sent"] - reply["t"])
                told = [m.told - reply["t"] for m in members if m.told is not None]
                missed += len(members) - len(told)
                each.extend(told)
                if told:
                    lasts.append(max(told))
                await asyncio.sleep(o.pause)
    finally:
        job.stdin.close()
        await job.wait()
        for m in members:  # closing is best effort at the end of a run
            with contextlib.suppress(Exception):
                await asyncio.wait_for(m.ws.close(), 3)
    last = percentiles(lasts)
    return {"table": [{"run": f"{o.receivers} sockets x {o.rounds * 2} measures", "connected s": round(connected_s, 1),
                       **{f"last {k}": v for k, v in last.items()},
                       **{f"each {k}": v for k, v in percentiles(each).items() if k in ("p50", "p95", "p99")},
                       "missed": missed, "broadcast sent p50": percentiles(sent)["p50"],
                       "broadcast sent p95": percentiles(sent)["p95"]}],
            "headline": {"last p95": last["p95"], "last p99": last["p99"], "missed": missed}}


def measures(code: Code, o) -> dict[str, Any]:
    from .scenarios import serving

    db = data.ensure(code)
    with serving(code, db, "groupchat", 1) as srvs:
        return driver.run(rounds(code, db, srvs[0].port, o))


register("measures", measures, title="a measure's commit to the last of 2,000 members' sockets told (posting "
         "suspension and its lift); budget p95 <= 200 ms", headline={"last p95": "lower", "missed": "lower"},
         receivers=2000, rounds=20, pause=0.5, timeout=5.0)

if __name__ == "__main__" and sys.argv[1:2] == ["job"]:
    job_main(int(sys.argv[2]))
