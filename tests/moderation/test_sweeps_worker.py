"""A real Celery worker on the Redis broker runs the measures sweep: an expired platform mute ends and the user's
open socket on the live server hears it (worker -> Redis -> uvicorn -> websockets client)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import timedelta

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.utils import timezone
from rest_framework.authtoken.models import Token

from moderation.models_measures import MeasureKind, Restriction
from tests.factories import UserFactory
from tests.kernel.test_celery_worker import ROOT, _worker_env

from .measures_helpers import issue, moderator

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
    pytest.mark.filterwarnings("ignore:task_always_eager has no effect on send_task"),
]


@pytest.mark.asyncio
@pytest.mark.clause("G11b")
async def test_worker_ends_an_expired_mute_and_the_user_hears_it_live(live_asgi):
    def setup():
        alice = UserFactory()
        measure = issue(MeasureKind.MUTE_PLATFORM, operator=moderator(), target_user=alice, days=1)
        Restriction.objects.filter(measure=measure).update(until=timezone.now() - timedelta(seconds=1))  # time is up
        return measure.pk, Token.objects.create(user=alice).key

    measure_id, token = await sync_to_async(setup)()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "groupchat", "worker", "--pool", "solo", "--concurrency", "1",
         "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=_worker_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        async with websockets.connect(f"{live_asgi.ws_url}?token={token}", origin=live_asgi.url) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            from groupchat.celery import app

            await sync_to_async(lambda: app.send_task("moderation.tasks.measures_sweep", ignore_result=True))()
            frame: dict = {}
            while frame.get("type") != "notice":
                frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
        assert "解除" in frame["text"] or "lifted" in frame["text"]
        assert not await sync_to_async(Restriction.objects.filter(measure_id=measure_id).exists)()
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert "Traceback" not in output, output
