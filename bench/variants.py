"""What-if variants of the server under test, applied as run-time patches by the bench only (no application code is
changed), to measure a suggestion before anyone changes the code; select with ``python -m bench.run --variant a,b``
(env BENCH_VARIANTS). A suggestion that is a commit is measured with ``python -m bench.run compare`` instead.

- ``no-health-check``: ``CONN_HEALTH_CHECKS = False`` (no ``SELECT 1`` before the first query of every DB call).
- ``no-pipeline``: the send batcher without its two stages: a batch is checked only after the one before it is stored
  (does the overlap pay for the pipeline's smaller batches? It did, on one process and on two).
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
KNOWN = {"no-health-check", "plain-pubsub", "no-pipeline", "round-stats"}
if VARIANTS - KNOWN:
    raise SystemExit(f"unknown bench variants {sorted(VARIANTS - KNOWN)}; known: {sorted(KNOWN)}")

if "plain-pubsub" in VARIANTS:  # read by the settings
    os.environ["CHANNEL_LAYER_BACKEND"] = "channels_redis.pubsub.RedisPubSubChannelLayer"

if "no-health-check" in VARIANTS:
    from django.conf import settings

    for db in settings.DATABASES.values():
        db["CONN_HEALTH_CHECKS"] = False

from groupchat.asgi import application  # noqa: E402  (settings patched first)

if "no-pipeline" in VARIANTS:
    import groupchat.runtime.batcher as batcher

    async def _round(self, batch):
        try:
            plan = await batcher.database_thread(self.check)(requests=[r for r, _ in batch])
        except Exception as exc:
            batcher._failed(batch, exc)
            return
        await self.stage_store(batch, plan)

    batcher.Batcher.round = _round

if "round-stats" in VARIANTS:
    import json
    import threading
    import time

    import psutil

    import groupchat.runtime.batcher as batcher
    import groups.consumers
    from groups.services import messages

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

    groups.consumers._batcher = batcher.batcher_of_loop(_timed(messages.message_batch_check, "check"),
                                                        _timed(messages.message_batch_store, "store"))

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
