"""Reading an address (linkapp.core.net.parse_ip), which address a request comes from (client_ip), and
which client an address stands for in the sign-in limits (client_key)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest

from linkapp.core.config import settings
from linkapp.core.net import client_ip, client_key, parse_ip

PROXY = "10.0.0.2"


def test_client_ip_is_the_peer_when_no_proxy_is_trusted():
    assert client_ip("198.51.100.7", "203.0.113.5", []) == "198.51.100.7"


def test_client_ip_ignores_forwarded_for_from_an_untrusted_peer():
    assert client_ip("198.51.100.7", "203.0.113.5", [PROXY]) == "198.51.100.7"


def test_client_ip_reads_forwarded_for_from_a_trusted_peer():
    assert client_ip(PROXY, "203.0.113.5", [PROXY]) == "203.0.113.5"


def test_client_ip_is_the_peer_when_a_trusted_proxy_sends_no_header():
    assert client_ip(PROXY, None, [PROXY]) == PROXY
    assert client_ip(PROXY, "", [PROXY]) == PROXY
    assert client_ip(PROXY, " , ", [PROXY]) == PROXY


def test_client_ip_ignores_hops_the_client_wrote_itself():
    # The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the real address.
    assert client_ip(PROXY, "1.1.1.1, 203.0.113.5", [PROXY]) == "203.0.113.5"


def test_client_ip_skips_every_trusted_proxy_in_the_chain():
    assert client_ip(PROXY, "1.1.1.1, 203.0.113.5, 10.0.0.9, 10.0.0.3", ["10.0.0.0/8"]) == "203.0.113.5"


def test_client_ip_accepts_networks_as_trusted_proxies():
    assert client_ip("10.20.30.40", "203.0.113.5", ["10.0.0.0/8"]) == "203.0.113.5"
    assert client_ip("11.0.0.1", "203.0.113.5", ["10.0.0.0/8"]) == "11.0.0.1"


def test_client_ip_never_returns_a_hop_that_is_not_an_address():
    assert client_ip(PROXY, "203.0.113.5, not-an-ip", [PROXY]) == PROXY
    assert client_ip(PROXY, "<script>", [PROXY]) == PROXY


def test_client_ip_tolerates_spaces_around_hops():
    assert client_ip(PROXY, "  203.0.113.5 ,10.0.0.2 ", [PROXY]) == "203.0.113.5"


def test_client_ip_normalizes_ipv6_hops():
    assert client_ip("2001:db8::10", "2001:DB8:1:0::1", ["2001:db8::/64"]) == "2001:db8:1::1"


def test_client_ip_is_the_first_hop_when_every_hop_is_trusted():
    assert client_ip(PROXY, "10.0.0.5, 10.0.0.3", ["10.0.0.0/8"]) == "10.0.0.5"
    assert client_ip("2001:db8::10", "2001:DB8:0:0::1", ["2001:db8::/64"]) == "2001:db8::1"


def test_client_ip_trusts_an_ipv4_proxy_seen_through_a_dual_stack_socket():
    # A server listening on "::" sees IPv4 peers as IPv4-mapped IPv6 addresses.
    assert client_ip("::ffff:10.0.0.2", "203.0.113.5", [PROXY]) == "203.0.113.5"
    assert client_ip(PROXY, "203.0.113.5, ::ffff:10.0.0.3", ["10.0.0.0/8"]) == "203.0.113.5"


def test_client_ip_is_empty_without_a_peer():
    assert client_ip(None, "203.0.113.5", []) == ""
    assert client_ip(None, "203.0.113.5", [PROXY]) == ""


@pytest.mark.parametrize(("trusted", "expected"), [([], "198.51.100.7"), (["198.51.100.0/24"], "203.0.113.5")])
def test_client_ip_reads_trusted_proxies_from_settings(monkeypatch, trusted, expected):
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", trusted)
    assert client_ip("198.51.100.7", "203.0.113.5") == expected


def test_parse_ip_reads_ipv4_and_ipv6():
    assert parse_ip("203.0.113.5") == IPv4Address("203.0.113.5")
    assert parse_ip("2001:DB8::1") == IPv6Address("2001:db8::1")


def test_parse_ip_strips_an_ipv6_zone():
    # The zone names an interface of the server's, not part of the client's address.
    assert parse_ip("fe80::1%eth0") == IPv6Address("fe80::1")
    assert str(parse_ip("fe80::1:2:3:4%25")) == "fe80::1:2:3:4"


def test_parse_ip_reads_ipv4_mapped_ipv6_as_ipv4():
    assert parse_ip("::ffff:203.0.113.5") == IPv4Address("203.0.113.5")
    assert parse_ip("::FFFF:10.0.0.2%eth0") == IPv4Address("10.0.0.2")


def test_parse_ip_tolerates_surrounding_spaces():
    assert parse_ip("  203.0.113.5 ") == IPv4Address("203.0.113.5")


@pytest.mark.parametrize("text", [None, "", " ", "not-an-ip", "<script>", "1.2.3.4.5", "203.0.113.5:80", "%eth0", "2001:db8::g"])
def test_parse_ip_with_garbage_is_none(text):
    assert parse_ip(text) is None


def test_client_ip_strips_the_zone_of_a_forwarded_hop():
    assert client_ip(PROXY, "fe80::1%eth0", [PROXY]) == "fe80::1"
    assert client_ip("fe80::2%eth0", "203.0.113.5", ["fe80::/64"]) == "203.0.113.5"


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("unknown", "unknown"),
    ],
)
def test_client_key_keeps_ipv4_and_takes_the_64_of_ipv6(address, key):
    assert client_key(address) == key


def test_client_key_tells_neighbouring_64s_apart():
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
