"""The web client and the retryable ``unavailable`` (issue 13 item 5): a send refused while the database is away stays
"sending" and goes again by itself after ``retry_after``, with the same client_id; it is stored once."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from groups.models import Message
from tests.factories import UserFactory, make_group

from .conftest import db_call, open_chat

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]


def test_a_send_refused_as_unavailable_is_sent_again_by_the_client_and_stored_once(new_page, monkeypatch):
    import groups.consumers
    from groupchat.runtime.batcher import batcher_of_loop
    from groups.services.messages import message_batch_check, message_batch_store

    owner = db_call(UserFactory, nickname="群主")
    group = db_call(make_group, owner, name="重试群")
    refused: list[str] = []

    def check_while_the_database_is_away(*, requests):
        if not refused:  # the first batch finds the database gone (the live server runs in this process)
            refused.extend(r.client_id for r in requests)
            raise OperationalError("server closed the connection unexpectedly")
        return message_batch_check(requests=requests)

    monkeypatch.setattr(groups.consumers, "_batcher", batcher_of_loop(check_while_the_database_is_away,
                                                                      message_batch_store))
    page = new_page(owner)
    open_chat(page, group.code)
    page.fill("#composer-input", "数据库回来后再发")
    page.press("#composer-input", "Enter")
    pending = page.locator("#message-list li.msg.pending", has_text="数据库回来后再发")
    pending.wait_for()
    assert pending.get_attribute("data-status") == "sending"  # not "failed": the client will retry by itself
    acked = page.locator("#message-list li.msg:not(.pending)", has_text="数据库回来后再发")
    acked.wait_for(timeout=10_000)
    assert refused and page.locator("#message-list li.msg.state-failed").count() == 0
    stored = db_call(lambda: list(Message.objects.filter(group_id=group.pk).values_list("client_id", flat=True)))
    assert stored == refused  # the same client_id, stored once
