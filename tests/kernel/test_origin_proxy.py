"""The network log behind a reverse proxy (issue 14.11, G13b): the client's source port (X-Forwarded-Port, believed
only from the proxies uvicorn trusts, FORWARDED_ALLOW_IPS) and the destination (this server's address and port), for
HTTP requests, messages in the batch statement, and socket connect and disconnect."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request

import pytest
import uvicorn
import websockets
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from groupchat.core.models import LogEntry
from groupchat.core.origin import Origin
from tests.factories import UserFactory, make_group
from tests.live_server import free_port

PROXIED = {"x-forwarded-for": "203.0.113.9", "x-forwarded-port": "40123", "user-agent": "proxied-client"}


@pytest.mark.clause("G13b")
def test_the_forwarded_port_is_taken_only_where_the_trusted_proxys_address_replaced_the_peers():
    headers = [(b"x-forwarded-port", b"40123"), (b"user-agent", b"ua")]
    proxied = Origin.from_scope({"client": ("203.0.113.9", 0), "server": ("10.0.0.5", 8000), "headers": headers})
    assert proxied == Origin(ip="203.0.113.9", port=40123, user_agent="ua", server_ip="10.0.0.5", server_port=8000)
    direct = Origin.from_scope({"client": ("198.51.100.7", 5050), "server": ("10.0.0.5", 8000), "headers": headers})
    assert direct.port == 5050  # a client's own header never replaces its real port
    assert Origin.from_scope({"client": ("203.0.113.9", 0), "headers": [(b"x-forwarded-port", b"99999")]}).port is None


def _serve(forwarded_allow_ips: str):
    from groupchat.asgi import application

    port = free_port()
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                            ws="websockets-sansio", proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    return server, thread, port


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.clause("G13b")
@pytest.mark.parametrize("trusted", [True, False])
async def test_http_messages_and_sockets_log_both_ends_behind_the_proxy(trusted):
    owner = await sync_to_async(UserFactory)()
    group = await sync_to_async(make_group)(owner)
    token = await sync_to_async(lambda: Token.objects.create(user=owner).key)()
    server, thread, port = await asyncio.to_thread(_serve, "127.0.0.1" if trusted else "10.9.9.9")
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/groups/{group.code}/messages/", method="POST",
            data=json.dumps({"client_id": "h1", "body": "经代理"}).encode(),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json",
                     **{k: v.encode().decode("latin-1") for k, v in PROXIED.items()}})
        with await asyncio.to_thread(urllib.request.urlopen, request, timeout=10) as response:
            assert response.status == 201
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws/?token={token}", origin=f"http://127.0.0.1:{port}",
                                      additional_headers=PROXIED)
        assert json.loads(await ws.recv())["type"] == "hello"
        await ws.send(json.dumps({"type": "send", "group": group.code, "client_id": "w1", "body": "套接字"}))
        while json.loads(await ws.recv())["type"] != "ack":
            pass
        await ws.close()
        await asyncio.sleep(0.3)  # the disconnect record is written after the close
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)

    rows = await sync_to_async(lambda: {e.kind: e for e in LogEntry.objects.filter(
        actor_id=owner.pk, kind__in=["message.sent", "socket.connect", "socket.disconnect"])})()
    sent = await sync_to_async(lambda: list(LogEntry.objects.filter(actor_id=owner.pk, kind="message.sent")))()
    assert len(sent) == 2 and set(rows) == {"message.sent", "socket.connect", "socket.disconnect"}
    for entry in [*sent, rows["socket.connect"], rows["socket.disconnect"]]:
        assert (entry.server_ip, entry.server_port) == ("127.0.0.1", port), entry.kind
        if trusted:
            assert (entry.ip, entry.port) == ("203.0.113.9", 40123), entry.kind
        else:  # an untrusted peer's headers are ignored: its own address and real source port
            assert entry.ip == "127.0.0.1" and entry.port not in (None, 0, 40123), entry.kind
