"""Who is the client: the socket peer, or the X-Forwarded-For hop that a trusted proxy vouches for."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from linkapp.core.config import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address `text` spells, with IPv4-mapped IPv6 (what a dual-stack socket reports) as IPv4."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    ip = _address(address)
    return ip is not None and any(ip in net for net in networks)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: list[str] | None = None) -> str:
    """The client's address.

    `X-Forwarded-For` is read only when the peer is a trusted proxy, and then from the right:
    the first hop that is not itself a trusted proxy is the client. Anything a client writes
    into the header on its own is to the left of that and is never believed.
    """
    networks = _trusted(tuple(settings.TRUSTED_PROXIES if trusted is None else trusted))
    peer = peer or ""
    if not networks or not forwarded_for or not _is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            ip = _address(hop)
            return peer if ip is None else str(ip)
    # Every hop is one of our proxies: the earliest is the best we know.
    return str(_address(hops[0])) if hops else peer
