"""Where a hook may send: `http` or `https` to a public address, unless WEBHOOK_ALLOW_PRIVATE is set.

A hook's URL is checked when it is saved and again before every delivery, since DNS can change
in between (or answer differently each time, to get a check passed). The delivery then connects
to the very address that was checked, sending the name in `Host` and, for https, in SNI (the
certificate is still verified for the name): a second lookup by the HTTP client could give
another answer. Names are resolved off the event loop, and answers kept for a few seconds.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass

import httpx

from linkapp.core.config import settings
from linkapp.models.webhook import MAX_URL

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_TTL = 30.0  # seconds an answer is reused
RESOLVE_TIMEOUT = 5.0  # at creation; a delivery's lookup counts against its own timeout
_answers: dict[tuple[str, int], tuple[float, tuple[Address, ...]]] = {}


class Refused(Exception):
    """The URL may not be used; the message says why, in words for its owner."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a delivery goes: `url` names the checked address itself; `host` is the name to send."""

    url: httpx.URL
    host: str
    sni_hostname: str | None


def parse(url: str) -> httpx.URL:
    """`url` read as the HTTP client will read it; Refused unless it is an absolute http(s) URL with a host."""
    if len(url) > MAX_URL:
        raise Refused(f"The URL is longer than {MAX_URL} characters.")
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, ValueError) as exc:
        raise Refused("That is not a valid URL.") from exc
    if parsed.scheme not in ("http", "https"):
        raise Refused("A webhook URL starts with https:// (or http://).")
    if not parsed.host:
        raise Refused("A webhook URL needs a host.")
    if parsed.userinfo:
        raise Refused("Put no user name or password in a webhook URL; check the Linkapp-Signature header instead.")
    return parsed


def refusal(address: Address) -> str | None:
    """Why a hook may not reach `address` (loopback, private, link-local...), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, test in (
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("an unspecified", address.is_unspecified),
        ("a multicast", address.is_multicast),
        ("a private", address.is_private or not address.is_global),
    ):
        if test:
            return f"{address} is {kind} address"
    return None


async def addresses(host: str, port: int) -> tuple[Address, ...]:
    """The addresses `host` resolves to (a literal address resolves to itself), looked up in a thread."""
    key = (host, port)
    cached = _answers.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"The host {host} could not be resolved.") from exc
    found = tuple(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos))
    if not found:
        raise Refused(f"The host {host} could not be resolved.")
    if len(_answers) > 4096:  # many hooks' hosts: start afresh rather than grow
        _answers.clear()
    _answers[key] = (time.monotonic() + RESOLVE_TTL, found)
    return found


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


async def check(url: str, *, allow_private: bool | None = None) -> httpx.URL:
    """Refused unless a hook may send to `url`: its shape, and (unless private targets are allowed)
    that every address its host resolves to is public. For saving a hook.

    Returns:
        The parsed URL.
    """
    parsed = parse(url)
    if settings.WEBHOOK_ALLOW_PRIVATE if allow_private is None else allow_private:
        return parsed
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            found = await addresses(parsed.raw_host.decode("ascii"), _port(parsed))
    except TimeoutError as exc:
        raise Refused(f"The host {parsed.host} could not be resolved in time.") from exc
    for address in found:
        if problem := refusal(address):
            raise Refused(f"Webhooks go to public addresses only: {parsed.host} resolves to {problem}.")
    return parsed


async def target(url: str, *, allow_private: bool | None = None) -> Target:
    """Where to deliver to `url` now: checked as `check` does, pinned to the checked address."""
    parsed = parse(url)
    found = await addresses(parsed.raw_host.decode("ascii"), _port(parsed))
    if not (settings.WEBHOOK_ALLOW_PRIVATE if allow_private is None else allow_private):
        for address in found:
            if problem := refusal(address):
                raise Refused(f"refused: {parsed.host} resolves to {problem}")
    pinned = parsed.copy_with(host=str(found[0]), fragment=None)
    host = parsed.netloc.decode("ascii")
    return Target(url=pinned, host=host, sni_hostname=parsed.raw_host.decode("ascii") if parsed.scheme == "https" else None)


def forget() -> None:
    """Drop every cached answer (tests)."""
    _answers.clear()
