"""What a click tells us, worked out at write time (off the request path). First cut: the
enrichment issue fills in devices, places, referrers and finer bot reasons."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services import bots


def anonymize_ip(address: str | None) -> str | None:
    """IPv4 to its /24, IPv6 to its /48; the full address only with ANONYMIZE_IP=false."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if not settings.ANONYMIZE_IP:
        return str(ip)
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def visitor_id(salt: str, address: str | None, user_agent: str | None) -> str:
    """A keyed hash of address and agent with the day's salt: unique per day, unlinkable across days."""
    message = f"{address or ''}|{user_agent or ''}".encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()[:32]


def enrich(click: Click, *, salt: str) -> dict:
    """The link_events row for `click`, with no raw client address left in it."""
    reason = click.bot_reason or bots.bot_reason(click.method, click.user_agent or "")
    return {
        "click_id": click.click_id,
        "link_id": click.link_id,
        "clicked_at": click.clicked_at,
        "source": click.source,
        "utm_medium": click.utm_medium,
        "utm_campaign": click.utm_campaign,
        "ip_address": anonymize_ip(click.ip_address),
        "user_agent": click.user_agent,
        "visitor_id": visitor_id(salt, click.ip_address, click.user_agent),
        "referrer_host": None,
        "device": None,
        "browser": None,
        "os": None,
        "country": None,
        "city": None,
        "is_bot": reason is not None,
        "bot_reason": reason,
    }
