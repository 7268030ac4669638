"""What the network log keeps of a client's address (G13b): the server's peer, never a header the client wrote."""

import pytest
from django.test import RequestFactory

from groupchat.core.origin import Origin


@pytest.mark.clause("G13b")
def test_a_clients_own_x_forwarded_for_does_not_replace_its_address():
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7", REMOTE_PORT="5050",
                                   HTTP_X_FORWARDED_FOR="203.0.113.66", HTTP_USER_AGENT="ua")
    assert Origin.from_request(request) == Origin(ip="198.51.100.7", port=5050, user_agent="ua", server_port=80)
    scope = {"client": ("198.51.100.7", 5050), "headers": [(b"x-forwarded-for", b"203.0.113.66"), (b"user-agent", b"ua")]}
    assert Origin.from_scope(scope) == Origin(ip="198.51.100.7", port=5050, user_agent="ua")


def test_malformed_addresses_become_unknown_and_ipv6_is_canonical():
    assert Origin.from_scope({"client": ("not-an-ip", "x"), "headers": []}) == Origin(ip=None, port=None)
    assert Origin.from_scope({"client": ("2001:DB8:0:0::1", 70000)}).ip == "2001:db8::1"
    assert Origin.from_scope({"client": ("2001:DB8:0:0::1", 70000)}).port is None
    assert Origin.from_scope({}) == Origin()
    long_agent = RequestFactory().get("/", REMOTE_ADDR="", HTTP_USER_AGENT="a" * 1000)
    assert Origin.from_request(long_agent) == Origin(ip=None, port=None, user_agent="a" * 400, server_port=80)
