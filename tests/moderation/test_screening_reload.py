"""Rules and switches changed in one process are served by another within 2 seconds (G10, G5a): the other process
polls the versions at most once a second and swaps its automaton and switch state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group as Role
from django.db import connection

from moderation.roles_measures import SENIOR_MODERATOR
from moderation.screening.rules import rule_create
from moderation.switches import switch_toggle
from tests.factories import ORIGIN, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
# The other process: screens one text and reads one switch every 20 ms, printing each change of what it sees.
CHILD = """
import json, sys, time
import django
django.setup()
from moderation.screening import automaton
from moderation.screening.normalise import normalise
from moderation import switches
seen = None
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    now = (automaton.current().match(normalise("刷 單 返 利")).action, switches.is_on("post"))
    if now != seen:
        seen = now
        print(json.dumps({"at": time.time(), "action": now[0], "post": now[1]}), flush=True)
        if now == ("block", True):
            break
    time.sleep(0.02)
"""


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.clause("G10")
@pytest.mark.clause("G5a")
def test_a_second_process_serves_new_rules_and_switches_within_two_seconds():
    senior = UserFactory(is_staff=True)
    senior.groups.add(Role.objects.get(name=SENIOR_MODERATOR))
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "groupchat.settings"}
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        first = json.loads(child.stdout.readline())
        assert (first["action"], first["post"]) == ("pass", False)
        rule_create(actor=senior, keyword="刷单返利", category="PLT-FRAUD", action="block")
        rule_at = time.time()
        switch_toggle(actor=senior, kind="post", on=True, reason="演练", origin=ORIGIN)
        switch_at = time.time()
        changes = [json.loads(line) for line in child.stdout]
    finally:
        child.kill()
        child.wait()
    rule_seen = next(c["at"] for c in changes if c["action"] == "block")
    switch_seen = next(c["at"] for c in changes if c["post"])
    assert rule_seen - rule_at < 2.0
    assert switch_seen - switch_at < 2.0
