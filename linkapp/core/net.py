"""Who is the client: the socket peer, or the X-Forwarded-For hop that a trusted proxy vouches for."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from linkapp.core.config import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


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
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return hops[0] if hops else peer
