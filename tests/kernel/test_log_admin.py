"""The network log's admin finds records by user, group, address and time (G13b), and never counts the whole log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from groupchat.core.admin import BoundedCountPaginator
from groupchat.core.events import record
from groupchat.core.models import LogEntry
from groupchat.core.origin import Origin
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/admin/core/logentry/"


@pytest.fixture
def officer():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def entries():
    now = timezone.now()
    alice, bob = UserFactory(username="alice-log"), UserFactory(username="bob-log")
    rows = {
        "alice_login": record("auth.login", actor_id=alice.pk, origin=Origin(ip="203.0.113.7", port=50001),
                              at=now - timedelta(days=3)),
        "bob_send": record("message.sent", actor_id=bob.pk, group_code="1234567890",
                           origin=Origin(ip="198.51.100.20", port=40000), at=now - timedelta(hours=2)),
        "bob_measured": record("measure.mute", actor_id=None, target_id=bob.pk, group_code="1234567890",
                               origin=Origin(ip="10.1.2.3"), at=now - timedelta(hours=1)),
        "other_group": record("message.sent", actor_id=alice.pk, group_code="9999999990",
                              origin=Origin(ip="198.51.100.21"), at=now - timedelta(minutes=5)),
    }
    return rows | {"alice": alice, "bob": bob, "now": now}


RECORDS = ("alice_login", "bob_send", "bob_measured", "other_group")


def _listed(client, entries, **params) -> set[int]:
    """Of the fixture's four records, those the filtered list shows (sign-ups and logins log records of their own)."""
    response = client.get(URL, params)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list} & _ids(entries, *RECORDS)


def _ids(entries, *names) -> set[int]:
    return {entries[n].pk for n in names}


@pytest.mark.clause("G13b")
def test_by_user_name_finds_what_they_did_and_what_was_done_to_them(officer, entries):
    assert _listed(officer, entries, user="bob-log") == _ids(entries, "bob_send", "bob_measured")
    assert _listed(officer, entries, user=str(entries["alice"].pk)) == _ids(entries, "alice_login", "other_group")


@pytest.mark.clause("G13b")
def test_by_group_address_network_and_event(officer, entries):
    assert _listed(officer, entries, group="1234567890") == _ids(entries, "bob_send", "bob_measured")
    assert _listed(officer, entries, ip="203.0.113.7") == _ids(entries, "alice_login")
    assert _listed(officer, entries, ip="198.51.100.0/24") == _ids(entries, "bob_send", "other_group")
    assert _listed(officer, entries, kind="message.*") == _ids(entries, "bob_send", "other_group")
    assert _listed(officer, entries, kind="auth.login") == _ids(entries, "alice_login")


@pytest.mark.clause("G13b")
def test_by_time_range_in_the_officers_words(officer, entries):
    now = entries["now"]
    since = timezone.localtime(now - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    until = timezone.localtime(now - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M")
    assert _listed(officer, entries, user="bob-log", **{"from": since, "to": until}) == _ids(entries, "bob_send",
                                                                                     "bob_measured")
    day = timezone.localtime(now - timedelta(days=3)).date().isoformat()
    assert entries["alice_login"].pk in _listed(officer, entries, **{"from": day, "to": day})
    assert entries["other_group"].pk not in _listed(officer, entries, **{"from": day, "to": day})


def test_unreadable_input_is_said_not_silently_empty(officer, entries):
    response = officer.get(URL, {"ip": "not-an-address"})
    assert response.status_code == 200
    assert "不是 IP 地址或网段" in response.content.decode()
    response = officer.get(URL, {"user": "nobody-is-called-this"})
    assert "没有名为" in response.content.decode()
    assert list(response.context["cl"].result_list) == []


def test_the_list_counts_at_most_its_cap_when_filtered(entries, monkeypatch):
    monkeypatch.setattr(BoundedCountPaginator, "CAP", 2)
    assert BoundedCountPaginator(LogEntry.objects.filter(kind__startswith=""), 100).count == 2
    assert BoundedCountPaginator(LogEntry.objects.filter(pk=entries["alice_login"].pk), 100).count == 1
