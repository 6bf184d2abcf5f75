"""Where a link's host leads, read as browsers read it, and which hosts a link may not name.

Browsers follow the WHATWG URL standard: they percent-decode a host, map look-alike characters
(IDNA), and read a host ending in a number as an IPv4 address in decimal, hex or octal, whole or
in short form, so `2130706433`, `0x7f.1` and `0177.0.0.1` all mean 127.0.0.1. A rule about
addresses must read them the same way, or any other spelling slips past it.

Names are judged by their spelling only; nothing is looked up in DNS, so a domain that happens to
resolve to a local address is not caught here.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from encodings import idna
from functools import lru_cache
from urllib.parse import unquote

from linkapp.core.net import parse_ip

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# UTS 46 maps these to "." before a host is split into labels.
_DOTS = re.compile("[.\u3002\uff0e\uff61]")
_DIGITS = {10: frozenset("0123456789"), 8: frozenset("01234567"), 16: frozenset("0123456789abcdefABCDEF")}
# Loopback, "this network" (0.0.0.0 reaches this machine on most systems) and link-local (where
# cloud metadata services answer): a visitor's browser, or a fetcher on our own server, would
# reach a machine of its own rather than a site.
_LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(net) for net in ("127.0.0.0/8", "0.0.0.0/8", "169.254.0.0/16", "::1/128", "::/128", "fe80::/10")
)
_PRIVATE_NETWORKS = tuple(ipaddress.ip_network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
# Besides `localhost` and `*.localhost` (RFC 6761), what common systems' hosts files call 127.0.0.1 and ::1.
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


@dataclass(frozen=True, slots=True)
class Host:
    """A URL's host as a browser reads it.

    Attributes:
        name: Percent-decoded, IDNA-mapped to ASCII where possible, lower-case, no trailing dot.
        address: The IP address the host spells, in whatever notation; None for a domain name.
    """

    name: str
    address: Address | None

    @property
    def key(self) -> str | Address:
        """What two spellings of the same host have in common."""
        return self.address if self.address is not None else self.name


def read_host(host: str) -> Host:
    """Read a URL's host as a browser does.

    Args:
        host: The host as written in the URL, an IPv6 address in brackets.

    Returns:
        The host's name and, when it spells an IP address, the address (IPv4-mapped IPv6 as IPv4).

    Raises:
        ValueError: when browsers refuse the host: a bad IPv6 literal, or a host that ends in a
            number but is no IPv4 address (`1.2.3.4.5`, `256.0.0.1`, `example.123`).
    """
    if host.startswith("["):
        address = parse_ip(host[1:-1]) if host.endswith("]") else None
        if address is None:
            raise ValueError(f"not an IPv6 address: {host}")
        return Host(name=str(address), address=address)
    # WHATWG drops one trailing dot; dropping all is stricter, and a host with more leads nowhere.
    name = ".".join(_ascii_label(label) for label in _DOTS.split(unquote(host))).rstrip(".")
    labels = name.split(".")
    last = labels[-1]
    # WHATWG's "ends in a number": such a host is an IPv4 address, or browsers refuse it.
    if not (_is_ipv4_number(last) or (last and set(last) <= _DIGITS[10])):
        return Host(name=name, address=None)
    return Host(name=name, address=_ipv4(labels))


def is_local(host: Host) -> bool:
    """A loopback, unspecified or link-local address, or a name for the loopback address."""
    if host.address is None:
        return host.name in _LOOPBACK_NAMES or host.name.endswith(".localhost")
    return any(host.address in net for net in _LOCAL_NETWORKS)


def is_private(host: Host) -> bool:
    """An address of a private network: 10/8, 172.16/12, 192.168/16 or fc00::/7."""
    return host.address is not None and any(host.address in net for net in _PRIVATE_NETWORKS)


def is_own(host: Host, *, own_hosts: tuple[str, ...]) -> bool:
    """Whether `host` is one of `own_hosts` (names or addresses), in any spelling and on any port."""
    return host.key in _own_keys(own_hosts)


@lru_cache(maxsize=8)
def _own_keys(own_hosts: tuple[str, ...]) -> frozenset[str | Address]:
    keys: set[str | Address] = set()
    for entry in own_hosts:
        address = parse_ip(entry.strip("[]"))  # a bare IPv6 address, which a URL would bracket
        if address is not None:
            keys.add(address)
            continue
        try:
            keys.add(read_host(entry).key)
        except ValueError:
            keys.add(entry.lower())
    return frozenset(keys)


def _ascii_label(label: str) -> str:
    if label.isascii():
        return label.lower()
    try:
        return idna.ToASCII(label).decode("ascii").lower()
    except UnicodeError:
        # ToASCII also refuses labels over 63 characters, which browsers accept; the mapping
        # alone still turns full-width digits into digits.
        try:
            return idna.nameprep(label).lower()
        except UnicodeError:
            return label.lower()


def _ipv4(labels: list[str]) -> ipaddress.IPv4Address:
    """The WHATWG IPv4 parser: up to four numbers, the last one filling the remaining bytes."""
    if len(labels) > 4:
        raise ValueError("more than four parts")
    numbers = [_ipv4_number(label) for label in labels]
    if any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise ValueError("an IPv4 part out of range")
    value = numbers[-1] + sum(number << (8 * (3 - index)) for index, number in enumerate(numbers[:-1]))
    return ipaddress.IPv4Address(value)


def _ipv4_number(text: str) -> int:
    if not text:
        raise ValueError("empty IPv4 part")
    radix = 10
    if text[:2] in ("0x", "0X"):
        text, radix = text[2:], 16
    elif len(text) > 1 and text[0] == "0":
        text, radix = text[1:], 8
    if not set(text) <= _DIGITS[radix]:
        raise ValueError(f"not a base-{radix} number")
    return int(text, radix) if text else 0


def _is_ipv4_number(text: str) -> bool:
    try:
        _ipv4_number(text)
    except ValueError:
        return False
    return True
