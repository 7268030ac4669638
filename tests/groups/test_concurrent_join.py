"""The member cap holds under concurrent joins on PostgreSQL (G8a): each thread has its own connection."""

import threading

import pytest
from django.db import connection, connections

from groupchat.core.errors import ApplicationError
from groups import services
from groups.models import Group, Membership
from tests.factories import ORIGIN, UserFactory, make_group

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12
FREE_PLACES = 4


@pytest.mark.clause("G8a")
def test_concurrent_joins_never_exceed_the_cap():
    assert connection.vendor == "postgresql"
    owner = UserFactory()
    group = make_group(owner, join_mode="open")
    Group.objects.filter(pk=group.pk).update(member_cap=1 + FREE_PLACES)  # the owner holds one place
    users = [UserFactory() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def join(user):
        try:
            fresh = Group.objects.get(pk=group.pk)  # each thread reads the group before anyone has joined
            barrier.wait(timeout=10)
            try:
                services.group_join(user=user, group=fresh, origin=ORIGIN)
                outcome = "joined"
            except ApplicationError as exc:
                outcome = exc.code
        except Exception as exc:  # noqa: BLE001 - reported below, never swallowed
            outcome = f"crash: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=join, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == sorted(["joined"] * FREE_PLACES + ["group_full"] * (THREADS - FREE_PLACES))
    group.refresh_from_db()
    assert group.member_count == 1 + FREE_PLACES == Membership.objects.filter(group=group).count()
