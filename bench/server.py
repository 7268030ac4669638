"""The server under test as a subprocess (uvicorn, uvloop, websockets-sansio), and a sampler of CPU and memory."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from .common import BASE_DB, GC_DB, HOST, PY, RESULTS, ROOT

_PG_BACKEND = re.compile(r"\(\d+\)|\[local\]")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start(name: str, app: str, env: dict[str, str], *, port: int | None = None, server: str = "uvicorn",
          cwd: Path = ROOT) -> Server:
    port = port or free_port()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"server-{name}-{port}.log"
    if server == "daphne":
        cmd = [PY, "-m", "daphne", "-b", HOST, "-p", str(port), app]
    else:
        cmd = [PY, "-m", "uvicorn", app, "--host", HOST, "--port", str(port), "--ws", "websockets-sansio",
               "--loop", "uvloop", "--lifespan", "off", "--log-level", "warning", "--no-access-log",
               ]
    env = dict(env)
    env.setdefault("PYTHONPATH", str(ROOT))
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server {name} exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(f"server {name} did not listen on {port}")
    return Server(name, port, proc, log)


def _procs_named(pred) -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter(["name", "cmdline"]):
        try:
            if pred(p):
                out.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


def _cpu(p: psutil.Process) -> float:
    try:
        t = p.cpu_times()
        return t.user + t.system
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0


@dataclass
class Sampler:
    """CPU seconds per role over a window (server(s), postgres, redis, driver, everybody else) and peak RSS."""

    servers: dict[str, int]  # label -> pid
    interval: float = 0.5
    peak_rss: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._before = self._snapshot()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _snapshot(self) -> dict[int, tuple[str, float]]:
        snap = {}
        me = os.getpid()
        for p in psutil.process_iter(["name", "cmdline"]):
            try:
                snap[p.pid] = (self._role(p, me), _cpu(p))
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return snap

    def _role(self, p: psutil.Process, me: int) -> str:
        for label, pid in self.servers.items():
            if p.pid == pid:
                return f"server:{label}"
        if p.pid == me:
            return "driver"
        name = p.info.get("name") or ""
        if name.startswith("postgres"):
            # A backend serving another database (other engineers' test runs) is not ours; the shared processes
            # (WAL writer, checkpointer, ...) and the bench databases' backends are.
            cmd = " ".join(p.info.get("cmdline") or [])
            if _PG_BACKEND.search(cmd) and not any(f" {db} " in cmd for db in (GC_DB, BASE_DB)):
                return "other:postgres:backends of other databases"
            return "postgres"
        if name.startswith("redis"):
            return "redis"
        cmd = " ".join(p.info.get("cmdline") or [])[:60]
        return f"other:{name}:{cmd}"

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for label, pid in self.servers.items():
                try:
                    rss = psutil.Process(pid).memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                self.peak_rss[label] = max(self.peak_rss.get(label, 0), rss)

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join(timeout=2)
        wall = time.monotonic() - self._t0
        after = self._snapshot()
        by_role: dict[str, float] = {}
        for pid, (role, cpu) in after.items():
            before = self._before.get(pid)
            delta = cpu - (before[1] if before else 0.0)
            if delta > 0:
                by_role[role] = by_role.get(role, 0.0) + delta
        others = sorted(((k, v) for k, v in by_role.items() if k.startswith("other:")), key=lambda kv: -kv[1])
        main = {k: round(v, 2) for k, v in by_role.items() if not k.startswith("other:")}
        other_total = sum(v for _, v in others)
        return {
            "wall_s": round(wall, 2),
            "cpu_s": main,
            "cpu_pct_of_one_core": {k: round(100 * v / wall, 1) for k, v in main.items()},
            "other_cpu_s": round(other_total, 2),
            "other_top": [(k[6:], round(v, 2)) for k, v in others[:5]],
            "peak_rss_mib": {k: round(v / 2**20, 1) for k, v in self.peak_rss.items()},
        }
