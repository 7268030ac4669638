"""The README's first command, minus the install: embedded mode (SQLite, in-memory layer, in-process beat) serves the
site with demo data, the API schema, and an authenticated WebSocket."""

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import websockets

from tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def _embedded_env(var_dir: Path) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "GROUPCHAT_ENV", "CELERY_TASK_ALWAYS_EAGER", "TEST_DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["GROUPCHAT_VAR_DIR"] = str(var_dir)
    return env


def _wait_for(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def test_embedded_mode_serves_site_schema_and_socket(tmp_path):
    env = _embedded_env(tmp_path)
    for args in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=180)
        assert done.returncode == 0, done.stderr
    assert "alice" in done.stdout and "demo-pass-2026" in done.stdout  # the logins are printed
    port = free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "run_embedded", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/healthz", time.monotonic() + 30)
        assert urllib.request.urlopen(f"{base}/").status == 200  # the public home page
        assert urllib.request.urlopen(f"{base}/login/").status == 200
        assert urllib.request.urlopen(f"{base}/api/schema/").status == 200
        health = json.loads(urllib.request.urlopen(f"{base}/healthz").read())
        assert health["mode"] == "embedded" and health["checks"]["database"]["vendor"] == "sqlite"
        login = urllib.request.Request(
            f"{base}/api/v1/auth/login/", headers={"Content-Type": "application/json"},
            data=json.dumps({"username": "alice", "password": "demo-pass-2026", "token": True}).encode(),
        )
        token = json.loads(urllib.request.urlopen(login).read())["token"]

        async def chat() -> list[dict]:
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/?token={token}", origin=base) as ws:
                hello = json.loads(await ws.recv())
                await ws.send(json.dumps({"type": "send", "group": hello["groups"][0], "client_id": "emb-1",
                                          "body": "embedded hello"}))
                frames = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]
                return [hello, *frames]

        hello, *frames = asyncio.run(chat())
        assert hello["type"] == "hello" and len(hello["groups"]) == 3
        assert {f["type"] for f in frames} == {"ack", "message"}
    finally:
        server.terminate()
        output = server.communicate(timeout=15)[0]
    assert "periodic jobs:" in output  # the in-process beat started


pytestmark = pytest.mark.timeout(240)
