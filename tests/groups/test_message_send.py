import pytest

from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from groups import services
from groups.models import Message
from tests.factories import ORIGIN, UserFactory, make_group


@pytest.mark.django_db
@pytest.mark.clause("G13b")
def test_send_stores_message_and_network_log_then_broadcasts(group, alice, member_of, origin,
                                                             django_capture_on_commit_callbacks):
    member_of(group, alice)
    with django_capture_on_commit_callbacks() as callbacks:
        result = services.message_send(sender=alice, group_code=group.code, body="你好", client_id="c1", origin=origin)
    assert result.created and result.message.seq == 1
    entry = LogEntry.objects.get(kind="message.sent", actor_id=alice.pk)
    assert entry.group_code == group.code and entry.ip == origin.ip and entry.port == origin.port
    assert entry.data["type"] == "text"
    assert len(callbacks) == 1  # fan-out only after commit


@pytest.mark.django_db
def test_retry_with_same_client_id_makes_no_duplicate(group, alice, member_of, origin):
    member_of(group, alice)
    first = services.message_send(sender=alice, group_code=group.code, body="x", client_id="same", origin=origin)
    again = services.message_send(sender=alice, group_code=group.code, body="x", client_id="same", origin=origin)
    assert again.message.pk == first.message.pk and not again.created
    assert Message.objects.filter(group=group).count() == 1


@pytest.mark.django_db
def test_non_member_is_refused(group, bob, origin):
    with pytest.raises(ApplicationError) as err:
        services.message_send(sender=bob, group_code=group.code, body="hi", client_id="c", origin=origin)
    assert err.value.code == "not_member"
    assert "不是该群成员" in err.value.detail("zh-hans") and "not a member" in err.value.detail("en")


@pytest.mark.django_db
def test_a_batch_of_sends_reads_the_senders_gates_once(django_assert_max_num_queries, monkeypatch):
    """Ten senders in one batch: the accounts gate state of all of them comes from one query, not ten."""
    from collections import defaultdict

    from groups.services.messages import SendRequest, message_send_many

    monkeypatch.setattr("groupchat.core.hooks._HOOKS", defaultdict(list))  # groups' own queries only, no screening

    owner = UserFactory()
    group = make_group(owner, join_mode="open")
    senders = [UserFactory() for _ in range(10)]
    for user in senders:
        services.group_join(user=user, group=group, origin=ORIGIN)
    requests = [SendRequest(u, group.code, f"第{i}条", f"b-{i}", ORIGIN) for i, u in enumerate(senders)]
    # memberships with their groups, stored client ids, gate states; then one statement for seqs, messages and
    # network-log rows (4; the test's own transaction wraps that statement in a SAVEPOINT and its RELEASE)
    with django_assert_max_num_queries(6):
        outcomes = message_send_many(requests=requests)
    assert [o.message.seq for o in outcomes] == list(range(1, 11))


@pytest.mark.django_db
def test_a_batch_into_many_groups_takes_their_seqs_in_one_statement():
    """A busy server's batches touch many groups, each a little: one UPDATE hands out every group's seqs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from groups.services.messages import SendRequest, message_batch_check, message_batch_store

    owner = UserFactory()
    groups = [make_group(owner, join_mode="open") for _ in range(3)]
    services.message_send(sender=owner, group_code=groups[1].code, body="先来", client_id="first", origin=ORIGIN)
    order = [0, 2, 1, 2, 0, 2]  # group index of each request
    requests = [SendRequest(owner, groups[g].code, f"第{i}条", f"many-{i}", ORIGIN) for i, g in enumerate(order)]
    plan = message_batch_check(requests=requests)
    with CaptureQueriesContext(connection) as queries:
        outcomes = message_batch_store(plan=plan)
    assert [(o.message.group_id, o.message.seq) for o in outcomes] == [
        (groups[0].pk, 1), (groups[2].pk, 1), (groups[1].pk, 2), (groups[2].pk, 2), (groups[0].pk, 2),
        (groups[2].pk, 3)]
    # One statement (prepared by the first send); the test's own transaction adds a SAVEPOINT and its RELEASE.
    assert [q["sql"].split()[0] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]] == ["EXECUTE"]
    for group, last in zip(groups, (2, 2, 3), strict=True):
        group.refresh_from_db()
        assert group.last_seq == last


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_over_the_same_groups_neither_deadlock_nor_leave_gaps():
    """Two writers (two server processes) send batches into the same groups in opposite orders at once."""
    import threading

    from django.db import connection

    from groups.models import Message
    from groups.services.messages import SendRequest, message_send_many

    owner = UserFactory()
    groups = [make_group(owner, join_mode="open") for _ in range(3)]
    # One sender per writer and group, so no one goes over the send rate.
    senders = {(name, g): UserFactory() for name in "ab" for g in range(3)}
    for (_, g), user in senders.items():
        services.group_join(user=user, group=groups[g], origin=ORIGIN)
    failures: list[object] = []

    def writer(name: str, order: list[int]) -> None:
        try:
            for round_ in range(15):
                requests = [SendRequest(senders[name, g], groups[g].code, "并发", f"{name}-{round_}-{g}", ORIGIN)
                            for g in order]
                failures.extend(o for o in message_send_many(requests=requests) if isinstance(o, Exception))
        except Exception as exc:  # a deadlock would surface here
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=("a", [0, 1, 2])), threading.Thread(target=writer, args=("b", [2, 1, 0]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    for group in groups:
        assert sorted(Message.objects.filter(group=group).values_list("seq", flat=True)) == list(range(1, 31))


@pytest.mark.django_db(transaction=True)
@pytest.mark.clause("G13b")
def test_outside_a_transaction_a_batch_is_stored_by_one_statement_that_commits_by_itself():
    """The socket path's store: seqs, messages and their network-log rows in one round trip (the group's row lock is
    held only while PostgreSQL works), committed when it returns: another connection sees all of it at once."""
    import threading

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from groups.services.messages import SendRequest, message_batch_check, message_batch_store

    owner = UserFactory()
    group = make_group(owner, join_mode="open")
    senders = [UserFactory() for _ in range(3)]
    for user in senders:
        services.group_join(user=user, group=group, origin=ORIGIN)
    plan = message_batch_check(requests=[SendRequest(u, group.code, f"第{i}条", f"one-{i}", ORIGIN)
                                         for i, u in enumerate(senders)])
    with CaptureQueriesContext(connection) as queries:
        outcomes = message_batch_store(plan=plan)
    # On this connection the check's gate statement was the first prepared one (SET plan_cache_mode and its PREPARE).
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["PREPARE", "EXECUTE"]
    assert [o.message.seq for o in outcomes] == [1, 2, 3]
    seen: dict[str, object] = {}

    def other_connection() -> None:
        try:
            seen["messages"] = list(Message.objects.filter(group=group).order_by("seq").values_list("seq", "body"))
            seen["log"] = sorted(
                (e.actor_id, e.data["message_id"], e.data["seq"], e.data["chars"], e.ip, e.port, e.user_agent)
                for e in LogEntry.objects.filter(kind="message.sent", group_code=group.code))
        finally:
            connection.close()

    thread = threading.Thread(target=other_connection)
    thread.start()
    thread.join(30)
    assert seen["messages"] == [(1, "第0条"), (2, "第1条"), (3, "第2条")]
    assert seen["log"] == sorted((u.pk, o.message.pk, o.message.seq, 3, ORIGIN.ip, ORIGIN.port, ORIGIN.user_agent)
                                 for u, o in zip(senders, outcomes, strict=True))


@pytest.mark.django_db
def test_a_frame_stored_between_check_and_store_becomes_a_retry_and_the_callers_transaction_survives(group, alice,
                                                                                                     member_of):
    """The race the unique (sender, client_id) index catches: the batch's statement fails whole (no seq taken), the
    frame is answered as the retry it is, and an enclosing transaction (the HTTP path's) is still usable."""
    from groups.services.messages import SendRequest, message_batch_check, message_batch_store

    member_of(group, alice)
    plan = message_batch_check(requests=[SendRequest(alice, group.code, "先到", "raced", ORIGIN)])
    first = services.message_send(sender=alice, group_code=group.code, body="先到", client_id="raced", origin=ORIGIN)
    [outcome] = message_batch_store(plan=plan)
    assert outcome.message.pk == first.message.pk and not outcome.created
    group.refresh_from_db()
    assert group.last_seq == 1 and Message.objects.filter(group=group).count() == 1
    assert LogEntry.objects.filter(kind="message.sent", group_code=group.code).count() == 1
