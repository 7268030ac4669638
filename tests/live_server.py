"""A real ASGI server (uvicorn, the production server) in a background thread of the test process.

It serves ``groupchat.asgi.application`` against the test database and the Redis channel layer, so end-to-end and
browser tests speak real HTTP and WebSocket over loopback. Use it from tests marked
``django_db(transaction=True)`` so the server's threads see committed rows.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    host: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws/"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_live_server(host: str = "127.0.0.1", port: int | None = None) -> LiveServer:
    from groupchat.asgi import application

    port = port or free_port()
    config = uvicorn.Config(application, host=host, port=port, log_level="warning", lifespan="off", ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live ASGI server did not start")
        time.sleep(0.02)
    return LiveServer(host, port, server, thread)
