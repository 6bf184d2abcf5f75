"""What a click tells us, worked out at write time (off the request path): the stored row with
its visitor id, device, browser, OS, place, referring site, source and, for non-people, the reason."""

from __future__ import annotations

import hmac
import re
from functools import lru_cache
from urllib.parse import urlsplit

from linkapp.core.config import settings
from linkapp.core.net import ip_prefix, parse_ip
from linkapp.models.click import Click
from linkapp.services.visitors import bots, devices, geo, referrers

# The link_events column's width.
MAX_HOST = 255
_HOST_RE = re.compile(r"[\w.-]+|[0-9a-f:.]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Longer referrers (unique query strings) are parsed every time: the cache must stay small.
MAX_CACHED_REFERRER = 256
# Control characters of visitors' text (C0, DEL, C1, lone surrogates, the Unicode line and
# paragraph separators, bidi overrides and isolates): stored, they would break a CSV row, forge
# a line in a log or reorder what a page shows. The line-breaking ones become a space.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_BREAKS = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")


def clean_text(text: str | None) -> str | None:
    """Visitor-supplied text as it is stored: without control characters.

    Args:
        text: A UTM value or user agent as the request carried it.

    Returns:
        `text` with tabs and line breaks turned into spaces, other control characters
        removed and the ends stripped; None when nothing is left.
    """
    if not text:
        return None
    cleaned = _CONTROL.sub(lambda match: " " if match.group() in _BREAKS else "", text).strip()
    return cleaned or None


def anonymize_ip(address: str | None) -> str | None:
    """The address to store: IPv4 cut to its /24, IPv6 to its /48.

    Args:
        address: The raw client address; IPv4-mapped IPv6 counts as IPv4.

    Returns:
        The network address of the /24 or /48, or the full (normalized) address when
        ANONYMIZE_IP is false; None when the address is missing or not an IP address.
    """
    if settings.ANONYMIZE_IP:
        return ip_prefix(address)  # string work for IPv4, cached for the rest
    return _full_address(address)


@lru_cache(maxsize=65536)
def _full_address(address: str | None) -> str | None:
    ip = parse_ip(address)
    return None if ip is None else str(ip)


def visitor_id(salt: str, address: str | None, user_agent: str | None) -> str:
    """A keyed hash of address and agent with the day's salt: unique per day, unlinkable across days."""
    # A copy of the salt's keyed HMAC instead of a new one per click (the writer makes one per click).
    digest = _keyed(salt).copy()
    digest.update(f"{address or ''}|{user_agent or ''}".encode())
    return digest.hexdigest()[:32]


@lru_cache(maxsize=8)
def _keyed(salt: str) -> hmac.HMAC:
    return hmac.new(salt.encode(), digestmod="sha256")


def _without_www(host: str) -> str:
    rest = host.removeprefix("www.")
    return rest if "." in rest else host


def referrer_host(referrer: str | None) -> str | None:
    """The site a click came from, as the breakdown by referrer shows it.

    Args:
        referrer: The Referer header.

    Returns:
        Its host, lower-cased and without "www."; None when there is no referrer, when it is
        not an http(s) URL, and when it is this service itself (counted as direct).
    """
    if not referrer:
        return None
    if len(referrer) <= MAX_CACHED_REFERRER:  # the same few pages come up again and again
        return _cached_referrer_host(referrer, settings.host_netloc)
    return _referrer_host(referrer, settings.host_netloc)


def _referrer_host(referrer: str, own_netloc: str) -> str | None:
    try:
        parts = urlsplit(referrer.strip())
        port = parts.port
    except ValueError:  # a bad port or a malformed IPv6 literal
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host or not _HOST_RE.fullmatch(host):
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if _without_www(netloc) == _without_www(own_netloc):
        return None
    return _without_www(host)[:MAX_HOST]


_cached_referrer_host = lru_cache(maxsize=8192)(_referrer_host)


def warm_up() -> None:
    """Compile the agent parsers and open the GeoIP database now (about 0.7 s, once).

    Otherwise the first click pays for it: on the redirect for the bot patterns, in the writer
    for ua-parser. Meant for start-up, in a thread.
    """
    probe = "Mozilla/5.0 (warm-up)"
    bots.bot_reason("GET", probe)
    devices.describe_agent(probe)
    geo.locate("8.8.8.8")


def enrich(click: Click, *, salt: str) -> dict:
    """The link_events row for `click`, with no raw client address left in it (unless configured).

    Args:
        click: The click as the redirect recorded it, raw address included.
        salt: The visitor-id salt of the click's UTC day.

    Returns:
        A dict with exactly the link_events columns the writer inserts: click_id, link_id,
        clicked_at, source, utm_medium, utm_campaign, ip_address, user_agent, visitor_id,
        referrer_host, device, browser, os, country, city, is_bot, bot_reason. The visitor's
        text (UTM values, user agent) is stored through `clean_text`; `source` is the
        `utm_source`, else the referring site's name (`referrers.click_source`).
    """
    user_agent = clean_text(click.user_agent)
    agent = devices.describe_agent(user_agent)
    place = geo.locate(click.ip_address)
    # The raw agent, as before: the day's visitor ids stay the same across an upgrade.
    visitor = visitor_id(salt, click.ip_address, click.user_agent)
    reason = click.bot_reason
    if reason is None or reason in (bots.BOT, bots.AFTER_EXPIRY):
        # Judged again: a click spooled by an older version may carry none or the coarse "bot",
        # and a bot sent to a fallback is a bot (the redirect does not judge agents it need not).
        reason = bots.bot_reason(click.method, user_agent) or reason
    host = referrer_host(click.referrer)
    return {
        "click_id": click.click_id,
        "link_id": click.link_id,
        "clicked_at": click.clicked_at,
        "source": referrers.click_source(clean_text(click.source), host),
        "utm_medium": clean_text(click.utm_medium),
        "utm_campaign": clean_text(click.utm_campaign),
        "ip_address": anonymize_ip(click.ip_address),
        "user_agent": user_agent,
        "visitor_id": visitor,
        "referrer_host": host,
        "device": agent.device,
        "browser": agent.browser,
        "os": agent.os,
        "country": place.country,
        "city": place.city,
        "is_bot": reason is not None,
        "bot_reason": reason,
    }
