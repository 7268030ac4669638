"""The member cap holds under concurrent joins on PostgreSQL (G8a): each thread has its own connection."""

import threading

import pytest
from django.db import connection, connections

from groupchat.core.errors import ApplicationError
from groups import services
from groups.models import Group, Membership
from tests.factories import ORIGIN, UserFactory, make_group

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 50  # the issue asks: 50 concurrent joins into a group with 10 free places
FREE_PLACES = 10


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
        except Exception as exc:  # reported in the outcomes, never swallowed
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


def _race(n: int, work) -> list:
    """Run ``work(i)`` in ``n`` threads released together, each on its own database connection."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # reported in the results, never swallowed
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_concurrent_senders_get_a_contiguous_seq():
    owner = UserFactory()
    group = make_group(owner)
    users = [UserFactory() for _ in range(THREADS)]
    for user in users:
        services.group_join(user=user, group=group, origin=ORIGIN)

    results = _race(THREADS, lambda i: services.message_send(sender=users[i], group_code=group.code, body=f"{i}",
                                                              client_id="c", origin=ORIGIN))

    assert sorted(r.message.seq for r in results) == list(range(1, THREADS + 1))
    group.refresh_from_db()
    assert group.last_seq == THREADS


def test_racing_retries_of_one_frame_store_one_message_and_use_one_seq():
    owner = UserFactory()
    group = make_group(owner)

    # 12 copies: one sender's copies beyond its send rate (20 per 10 s) would be refused before they could race.
    results = _race(12, lambda i: services.message_send(sender=owner, group_code=group.code, body="一次",
                                                         client_id="same", origin=ORIGIN))

    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.message.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    group.refresh_from_db()
    assert group.last_seq == 1  # the losers' seqs were given back with their rolled-back transactions
    services.message_send(sender=owner, group_code=group.code, body="下一条", client_id="next", origin=ORIGIN)
    assert list(group.messages.order_by("seq").values_list("seq", flat=True)) == [1, 2]

