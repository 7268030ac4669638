"""A real Celery worker process on the Redis broker runs the tier sweep; its live notice crosses the Redis channel
layer to a real socket on the live server (worker -> Redis -> uvicorn -> websockets client)."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from groups.models import Group, TierChange
from tests.factories import UserFactory, make_group

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
    # Intended: send_task goes to the broker although this process runs tasks eagerly.
    pytest.mark.filterwarnings("ignore:task_always_eager has no effect on send_task"),
]


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"  # the test database
    env = {k: v for k, v in os.environ.items() if k != "CELERY_TASK_ALWAYS_EAGER"}
    env.update(DATABASE_URL=url, REDIS_URL=settings.REDIS_URL, GROUPCHAT_ENV="test", CELERY_TASK_ALWAYS_EAGER="0")
    return env


@pytest.mark.asyncio
@pytest.mark.clause("G7a")
async def test_worker_runs_the_sweep_and_the_owner_hears_it_live(live_asgi):
    def setup():
        owner = UserFactory(verification_level=2)
        group = make_group(owner, category="interest", rules="r")
        Group.objects.filter(pk=group.pk).update(member_count=230)  # past the small tier: the sweep moves it up
        return group.pk, Token.objects.create(user=owner).key

    group_id, token = await sync_to_async(setup)()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "groupchat", "worker", "--pool", "solo", "--concurrency", "1",
         "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=_worker_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        async with websockets.connect(f"{live_asgi.ws_url}?token={token}", origin=live_asgi.url) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            from groupchat.celery import app

            # send_task always goes through the broker (the test process itself runs tasks eagerly).
            await sync_to_async(lambda: app.send_task("groups.tasks.tiers_sweep", ignore_result=True))()
            frame = {}
            while frame.get("type") != "notice":
                frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
        assert "size" in frame["text"]
        change = await sync_to_async(lambda: TierChange.objects.filter(group_id=group_id, reason="size").first())()
        assert change is not None
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert "Traceback" not in output, output
