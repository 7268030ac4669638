"""Reports of one target filed at the same moment still make one case (PostgreSQL; each thread its own connection)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from complaints import services
from complaints.models import Case, Complaint
from tests.factories import ORIGIN, UserFactory, add_member, make_group

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


@pytest.mark.clause("G12")
def test_simultaneous_first_reports_of_one_message_join_one_case():
    from groups import services as group_services

    owner = UserFactory()
    group = make_group(owner)
    offender = UserFactory()
    add_member(group, offender)
    reporters = [UserFactory() for _ in range(THREADS)]
    for reporter in reporters:
        add_member(group, reporter)
    message = group_services.message_send(sender=offender, group_code=group.code, body="骗钱", client_id="m1",
                                          origin=ORIGIN).message
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def report(user):
        try:
            barrier.wait(timeout=10)
            complaint = services.complaint_file(reporter=user, target=f"message:{message.pk}", category="PLT-FRAUD")
            outcome = complaint.number
        except Exception as exc:  # reported in the outcomes, never swallowed
            outcome = f"crash: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=report, args=(u,)) for u in reporters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert not [o for o in outcomes if o.startswith("crash")], outcomes
    assert len(set(outcomes)) == THREADS == Complaint.objects.count()
    assert Case.objects.count() == 1 and Case.objects.get().complaints.count() == THREADS
