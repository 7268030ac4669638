"""What-if variants of the server under test, applied as run-time patches by the bench only (no application code is
changed). Each one tests a suggestion in docs/performance.md; select with ``--variant a,b`` (env BENCH_VARIANTS).

- ``no-dispatch-close``: ChatConsumer.dispatch without Channels' per-event ``aclose_old_connections()``, which sends
  every channel-layer event (every delivery!) through the one thread-sensitive worker thread that also runs every
  ``message_send``. ``database_sync_to_async`` still closes stale connections around each real DB call.
- ``db-threads``: the consumer's send path runs in asgiref's thread pool (``thread_sensitive=False``) instead of the
  single shared thread, so several sends (each with its own PostgreSQL connection) proceed at once.
- ``no-health-check``: ``CONN_HEALTH_CHECKS = False`` (no ``SELECT 1`` before the first query of every DB call).
- ``switch-interval``: ``sys.setswitchinterval(0.0005)`` (default 5 ms). Tests the GIL convoy: the DB thread gives up
  the GIL on every query round trip and, while the event loop thread is busy, waits up to the switch interval to get
  it back, a dozen times per message. Adopted as the server's default (``GROUPCHAT_SWITCH_INTERVAL_MS``, 0.5) after
  this variant gave 1,174-1,214 msgs/s against 1,033-1,057 without it; the variant now changes nothing.
- ``no-pipeline``: the send batcher without its two stages: a batch is checked only after the one before it is stored
  (does the overlap pay for the pipeline's smaller batches? Yes, on one process and on two: without it ingest gave
  x1 918 / x2 763 msgs/s, with it 939-1,371 / 790-894, 2026-11-28).
- ``round-stats``: no change of behaviour; counts the batcher's rounds and items and times each stage (wall and the
  thread's CPU), and writes them with every thread's CPU to ``/tmp/roundstats-<pid>.json`` once a second.
- ``plain-pubsub``: channels_redis' own pub/sub layer instead of groupchat's subclass, so every message frame is queued
  for, decoded by and dispatched in each receiving consumer's task (the fan-out before direct socket writes).
"""

from __future__ import annotations

import functools
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "groupchat.settings")
VARIANTS = {v.strip() for v in os.environ.get("BENCH_VARIANTS", "").split(",") if v.strip()}
KNOWN = {"no-dispatch-close", "db-threads", "no-health-check", "switch-interval", "plain-pubsub", "no-pipeline",
         "round-stats"}
if VARIANTS - KNOWN:
    raise SystemExit(f"unknown bench variants {sorted(VARIANTS - KNOWN)}; known: {sorted(KNOWN)}")

if "switch-interval" in VARIANTS:
    import sys

    sys.setswitchinterval(0.0005)

if "no-health-check" in VARIANTS:
    from django.conf import settings

    for db in settings.DATABASES.values():
        db["CONN_HEALTH_CHECKS"] = False

from groupchat.asgi import application  # noqa: E402  (settings patched first)

if "no-dispatch-close" in VARIANTS:
    from channels.consumer import get_handler_name

    from groups.consumers import ChatConsumer

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    ChatConsumer.dispatch = dispatch

if "db-threads" in VARIANTS:
    from channels.db import DatabaseSyncToAsync

    import groups.consumers

    groups.consumers.database_sync_to_async = functools.partial(DatabaseSyncToAsync, thread_sensitive=False)

if "no-pipeline" in VARIANTS:
    import groups.batcher as batcher

    async def _round(self, batch):
        try:
            plan = await batcher.database_thread(batcher.message_batch_check)(requests=[r for r, _ in batch])
        except Exception as exc:
            batcher._failed(batch, exc)
            return
        await batcher._store(batch, plan)

    batcher._Pipeline.round = _round

if "round-stats" in VARIANTS:
    import json
    import threading
    import time

    import psutil

    import groups.batcher as batcher

    STATS = {"rounds": 0, "items": 0, "check_wall": 0.0, "check_cpu": 0.0, "store_wall": 0.0, "store_cpu": 0.0,
             "check_gap": 0.0, "store_gap": 0.0}
    LAST_END: dict[str, float] = {}

    def _timed(fn, key):
        @functools.wraps(fn)
        def run(**kwargs):
            w, c = time.perf_counter(), time.thread_time()
            if key in LAST_END and w - LAST_END[key] < 0.05:  # idle between two rounds of a busy stage
                STATS[f"{key}_gap"] += w - LAST_END[key]
            try:
                return fn(**kwargs)
            finally:
                LAST_END[key] = time.perf_counter()
                STATS[f"{key}_wall"] += time.perf_counter() - w
                STATS[f"{key}_cpu"] += time.thread_time() - c
                if key == "check":
                    STATS["rounds"] += 1
                    STATS["items"] += len(kwargs["requests"])
        return run

    batcher.message_batch_check = _timed(batcher.message_batch_check, "check")
    batcher.message_batch_store = _timed(batcher.message_batch_store, "store")

    def _dump():
        proc = psutil.Process()
        while True:
            time.sleep(1)
            names = {t.native_id: t.name for t in threading.enumerate()}
            threads = {f"{names.get(t.id, t.id)}": round(t.user_time + t.system_time, 3) for t in proc.threads()}
            with open(f"/tmp/roundstats-{os.getpid()}.json", "w") as f:
                json.dump({**STATS, "threads": threads}, f)

    threading.Thread(target=_dump, daemon=True, name="round-stats").start()

__all__ = ["VARIANTS", "application"]
