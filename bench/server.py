"""The servers under test as subprocesses (uvicorn, uvloop, websockets-sansio), and a sampler of CPU and memory."""

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
import redis

from .common import DB_PREFIX, HOST, PY, RESULTS, redis_url

_OTHER_PG_BACKEND = re.compile(rf": \S+ (?!gc_bench|{DB_PREFIX})\S+ (\S+\(\d+\)|\[local\])")  # a backend of another database


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


def start(name: str, app: str, env: dict[str, str], cwd: Path) -> Server:
    """One uvicorn process serving ``app`` on a free loopback port, once it accepts connections."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"server-{name}-{port}.log"
    cmd = [PY, "-m", "uvicorn", app, "--host", HOST, "--port", str(port), "--ws", "websockets-sansio", "--loop",
           "uvloop", "--lifespan", "off", "--log-level", "warning", "--no-access-log"]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server {name} exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return Server(name, port, proc, log)
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server {name} did not listen on {port}")


def start_many(name: str, app: str, env: dict[str, str], cwd: Path, n: int, redis_db: int) -> list[Server]:
    """``n`` processes on one freshly flushed Redis db (they share the channel layer); all or none."""
    redis.Redis.from_url(redis_url(redis_db)).flushdb()
    servers: list[Server] = []
    try:
        for _ in range(n):
            servers.append(start(name, app, env, cwd))
    except BaseException:
        stop_all(servers)
        raise
    time.sleep(0.5)
    return servers


def stop_all(servers: list[Server]) -> None:
    for s in servers:
        s.stop()


def _cpu(p: psutil.Process) -> float:
    try:
        t = p.cpu_times()
        return t.user + t.system
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0


@dataclass
class Sampler:
    """CPU seconds per role over a window (the servers, PostgreSQL, Redis, this driver, everybody else: other
    engineers' test runs show up there) and the servers' peak RSS. ``roles`` names more of our processes."""

    servers: list[Server]
    roles: dict[int, str] = field(default_factory=dict)
    peak_rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Sampler:
        self._t0 = time.monotonic()
        self._before = self._snapshot()
        self._thread = threading.Thread(target=self._watch_rss, daemon=True)
        self._thread.start()
        return self

    def _role(self, p: psutil.Process) -> str:
        if p.pid in self.roles:
            return self.roles[p.pid]
        if p.pid in {s.pid for s in self.servers}:
            return "server"
        if p.pid == os.getpid():
            return "driver"
        name = p.info.get("name") or ""
        if name.startswith("postgres"):
            return "other" if _OTHER_PG_BACKEND.search(" ".join(p.info.get("cmdline") or [])) else "postgres"
        return "redis" if name.startswith("redis") else "other"

    def _snapshot(self) -> dict[int, tuple[str, float]]:
        snap = {}
        for p in psutil.process_iter(["name", "cmdline"]):
            try:
                snap[p.pid] = (self._role(p), _cpu(p))
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return snap

    def rss_mib(self) -> float:
        total = 0
        for s in self.servers:
            try:
                total += psutil.Process(s.pid).memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return round(total / 2**20, 1)

    def _watch_rss(self) -> None:
        while not self._stop.wait(0.5):
            self.peak_rss = max(self.peak_rss, int(self.rss_mib() * 2**20))

    def stop(self) -> dict[str, Any]:
        """CPU seconds and % of one core per role (servers summed), peak server RSS (summed) over the window."""
        self._stop.set()
        self._thread.join(timeout=2)
        wall = time.monotonic() - self._t0
        cpu: dict[str, float] = {}
        for pid, (role, after) in self._snapshot().items():
            delta = after - self._before.get(pid, (role, 0.0))[1]
            if delta > 0:
                cpu[role] = cpu.get(role, 0.0) + delta
        return {"wall_s": round(wall, 2), "cpu_s": {k: round(v, 2) for k, v in cpu.items()},
                "cpu_pct": {k: round(100 * v / wall, 1) for k, v in cpu.items()},
                "server_peak_rss_mib": round(self.peak_rss / 2**20, 1)}
