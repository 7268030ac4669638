"""The measures sweep (Celery): expired suspensions, mutes, admin suspensions and blacklist entries end on time,
idempotently; overdue rectification deadlines are escalated once."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from django.test import TestCase
from django.utils import timezone

from groupchat.core.models import LogEntry
from groups.models import Group, GroupStatus, Membership
from moderation import tasks
from moderation.measures import restrictions_expire, warnings_escalate
from moderation.models_measures import MeasureKind, Restriction
from tests.factories import make_group

from .measures_helpers import issue, moderator, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod():
    return moderator()


def time_passes(measure, by=timedelta(seconds=1)):
    """Move a measure's end into the past (as if its time had come), as the database would see it."""
    Restriction.objects.filter(measure=measure).update(until=timezone.now() - by)
    Group.objects.filter(pk=measure.target_group_id, status=GroupStatus.SUSPENDED).update(
        status_until=timezone.now() - by)


@pytest.mark.clause("G11a")
def test_expired_posting_suspension_ends_and_members_are_told(owner, alice, member_of, mod, sent_events):
    group = make_group(owner)
    member_of(group, alice)
    measure = issue(MeasureKind.SUSPEND_POSTING, operator=mod, target_group=group, days=1)
    other = issue(MeasureKind.SUSPEND_POSTING, operator=mod, target_group=make_group(owner, name="未到期"), days=1)
    time_passes(measure)
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = tasks.measures_sweep.apply().get()  # the Celery task, run for real (eagerly, in this process)
    assert result == {"ended": 1, "escalated": 0}
    group.refresh_from_db()
    assert group.status == GroupStatus.OPEN and group.status_until is None
    assert not Restriction.objects.filter(measure=measure).exists()
    assert Restriction.objects.filter(measure=other).exists()  # not due yet
    assert LogEntry.objects.filter(kind="measure.expire", data__measure=measure.pk).count() == 1
    frames = [orjson.loads(event["frame"]) for _, event in sent_events if event["type"] == "message.batch"]
    assert {"type": "group_status", "group": group.code, "status": "open"}.items() <= frames[-1].items()
    send(alice, group, client_id="after-sweep")
    assert restrictions_expire() == 0  # idempotent: a second run finds nothing
    assert LogEntry.objects.filter(kind="measure.expire", data__measure=measure.pk).count() == 1


@pytest.mark.clause("G11b")
def test_expired_admin_suspension_mute_and_blacklist_end(owner, alice, mod):
    group = make_group(alice, name="爱丽丝的群")
    suspension = issue(MeasureKind.SUSPEND_ADMIN, operator=mod, target_user=alice, days=1)
    mute = issue(MeasureKind.MUTE_PLATFORM, operator=mod, target_user=alice, days=1)
    listed = issue(MeasureKind.BLACKLIST, operator=mod, target_group=make_group(owner, name="黑群"), days=7)
    for measure in (suspension, mute, listed):
        time_passes(measure)
    assert restrictions_expire() == 3
    assert Membership.objects.get(group=group, user=alice).admin_suspended_until is None
    assert Group.objects.get(pk=listed.target_group_id).blacklisted_until is None
    assert not Restriction.objects.exists()


@pytest.mark.clause("G11a")
def test_overdue_rectification_is_escalated_once_and_stays_in_force(owner, mod):
    group = make_group(owner)
    warning = issue(MeasureKind.WARNING, operator=mod, target_group=group, days=3)
    assert warnings_escalate() == 0
    time_passes(warning)
    assert restrictions_expire() == 0  # a deadline passing does not end a warning
    assert warnings_escalate() == 1
    assert warnings_escalate() == 0
    row = Restriction.objects.get(measure=warning)
    assert row.escalated_at is not None
    assert LogEntry.objects.filter(kind="measure.escalate").count() == 1


@pytest.fixture
def sent_events(monkeypatch):
    from groupchat.core import broadcast

    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(broadcast, "broadcast_now", lambda names, event: sent.append((list(names), event)))
    return sent
