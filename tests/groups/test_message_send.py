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
def test_a_batch_of_sends_reads_the_senders_gates_once(django_assert_max_num_queries):
    """Ten senders in one batch: the accounts gate state of all of them comes from one query, not ten."""
    from groups.services.messages import SendRequest, message_send_many

    owner = UserFactory()
    group = make_group(owner, join_mode="open")
    senders = [UserFactory() for _ in range(10)]
    for user in senders:
        services.group_join(user=user, group=group, origin=ORIGIN)
    requests = [SendRequest(u, group.code, f"第{i}条", f"b-{i}", ORIGIN) for i, u in enumerate(senders)]
    # groups, memberships, stored client ids, gate states, savepoint-free transaction: seq UPDATE, 2 bulk INSERTs
    with django_assert_max_num_queries(10):
        outcomes = message_send_many(requests=requests)
    assert [o.message.seq for o in outcomes] == list(range(1, 11))
