"""Who is the client: the socket peer, or the X-Forwarded-For hop that a trusted proxy vouches for."""

from __future__ import annotations

import ipaddress
import re
import socket
from functools import lru_cache

from linkapp.core.config import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address `text` spells, as every part of the app reads a client address.

    Args:
        text: An IPv4 or IPv6 address as a socket, a header or a stored click gives it;
            surrounding spaces are allowed.

    Returns:
        The address, with IPv4-mapped IPv6 (what a dual-stack socket reports) as IPv4 and without
        an IPv6 zone; None when `text` is missing or is not an address.
    """
    if not text:
        return None
    try:
        # A zone ("fe80::1%eth0") names an interface of ours, not part of the client's address.
        ip = ipaddress.ip_address(text.strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class _Proxies:
    """The trusted proxies as the per-request check wants them: the networks, the IPv4 ones as
    integer masks, and the verdicts on peers seen (a few proxies, asked about on every request)."""

    __slots__ = ("networks", "v4", "_peers")

    def __init__(self, spec: tuple[str, ...]) -> None:
        self.networks: tuple[Network, ...] = tuple(ipaddress.ip_network(item, strict=False) for item in spec)
        self.v4 = tuple((int(net.network_address), int(net.netmask)) for net in self.networks if net.version == 4)
        self._peers: dict[str, bool] = {}

    def holds(self, address: str) -> bool:
        ip = parse_ip(address)
        return ip is not None and any(ip in net for net in self.networks)

    def holds_peer(self, peer: str) -> bool:
        trusted = self._peers.get(peer)
        if trusted is None:
            if len(self._peers) >= 256:
                self._peers.clear()
            trusted = self._peers[peer] = self.holds(peer)
        return trusted


@lru_cache(maxsize=8)
def _proxies(spec: tuple[str, ...]) -> _Proxies:
    return _Proxies(spec)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: list[str] | None = None) -> str:
    """The client's address.

    `X-Forwarded-For` is read only when the peer is a trusted proxy, and then from the right:
    the first hop that is not itself a trusted proxy is the client. Anything a client writes
    into the header on its own is to the left of that and is never believed.
    """
    proxies = _proxies(tuple(settings.TRUSTED_PROXIES if trusted is None else trusted))
    peer = peer or ""
    if not proxies.networks or not forwarded_for or not proxies.holds_peer(peer):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        value = _dotted_value(hop)
        if value is not None:  # the common case, by integer work (once per redirect)
            if not any(value & mask == network for network, mask in proxies.v4):
                return hop
            continue
        ip = parse_ip(hop)
        if ip is None:
            return peer
        if not any(ip in net for net in proxies.networks):
            return str(ip)
    # Every hop is one of our proxies: the earliest is the best we know.
    return str(parse_ip(hops[0])) if hops else peer


def client_key(address: str) -> str:
    """The client an address stands for, as the sign-in and registration limits count clients.

    An IPv6 client is usually handed a whole /64 and may pick any address in it, so counting single
    IPv6 addresses would give it 2**64 fresh starts: one /64 is one client.

    Args:
        address: The client's address, as `client_ip` works it out.

    Returns:
        An IPv4 address as it is; an IPv6 address as its /64 ("2001:db8:1:2::/64"); anything
        that is not an address ("unknown") unchanged.
    """
    ip = parse_ip(address)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return address if ip is None else str(ip)


# A plain dotted IPv4 address as ipaddress writes it: no leading zeros, ASCII digits only.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")


def _dotted_value(text: str) -> int | None:
    """A plain dotted IPv4 address ("198.51.100.7", as ipaddress writes it) as an integer, by
    one regular expression and inet_aton: the common case of a client address, where
    ipaddress's objects cost the redirect and the click writer more than anything else they did
    with it. None for anything else (IPv6, leading zeros, spaces...), which takes the full parse."""
    if _DOTTED.fullmatch(text) is None:
        return None
    return int.from_bytes(socket.inet_aton(text), "big")


def ip_prefix(address: str | None) -> str | None:
    """The anonymized form of an address, the only one stored or shown where a person is concerned.

    Args:
        address: A client address as `client_ip` gives it; IPv4-mapped IPv6 counts as IPv4.

    Returns:
        The network address of its IPv4 /24 ("198.51.100.0") or IPv6 /48 ("2001:db8:abcd::");
        None when `address` is missing or is not an address ("unknown").
    """
    if address and _DOTTED.fullmatch(address) is not None:
        return address[: address.rindex(".")] + ".0"
    return _network_prefix(address)


@lru_cache(maxsize=16384)
def _network_prefix(address: str | None) -> str | None:
    # Cached: ipaddress's objects cost microseconds, and an IPv6 client's addresses come again.
    ip = parse_ip(address)
    if ip is None:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network((ip, prefix), strict=False).network_address)
