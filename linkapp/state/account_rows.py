"""What the security page shows of a session and of an audit event: plain rows, in words, with
dates in the viewer's zone (Reflex sends plain data to the browser)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from linkapp.models.token import SessionPublic
from linkapp.services.accounts import sessions

# What each audit event is called on the page; an event added later shows as its own name.
EVENT_WORDS = {
    "registered": "Account created",
    "signed_in": "Signed in",
    "sign_in_failed": "Sign-in failed",
    "refresh_reused": "Reused session blocked",
    "signed_out": "Signed out",
    "password_changed": "Password changed",
    "api_key_created": "API key created",
    "api_key_revoked": "API key revoked",
    "session_revoked": "Session revoked",
    "link_deleted": "Link deleted",
    "webhook_created": "Webhook created",
    "webhook_deleted": "Webhook deleted",
}
# Events an owner should look at twice.
ALARMING = frozenset({"sign_in_failed", "refresh_reused"})
# A session's device class (`visitors.devices`) in words, and its icon.
DEVICES = {
    "desktop": ("Computer", "monitor"),
    "mobile": ("Phone", "smartphone"),
    "tablet": ("Tablet", "tablet"),
    "bot": ("Script or app", "terminal"),
    "other": ("Other device", "monitor-smartphone"),
}


def format_moment(moment: datetime | None, tz: str) -> str:
    """A day and a time of day in the viewer's zone ("Dec 2, 2026, 14:05")."""
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(tz)
    except Exception:  # noqa: BLE001 - an odd browser zone falls back to UTC
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%b %-d, %Y, %H:%M")


def address_words(prefix: str | None) -> str:
    """An anonymized address as a network, so nobody reads it as one machine's."""
    if not prefix:
        return "Unknown address"
    return f"{prefix}/24" if "." in prefix else f"{prefix}/48"


def session_row(info: SessionPublic, tz: str) -> dict:
    """One row of the sessions list: browser, device (and its icon), network, when, and whether it is this tab's."""
    device, icon = DEVICES.get(info.device or "", ("Unknown device", "circle-help"))
    browser = info.browser or "Unknown browser"
    return {
        "id": info.id,
        "browser": browser,
        # How the sign-out dialog names it: "Chrome on a computer", "Unknown browser (script or app)".
        "label": f"{browser} on a {device.lower()}" if info.device in ("desktop", "mobile", "tablet") else f"{browser} ({device.lower()})",
        "device": device,
        "icon": icon,
        "address": address_words(info.ip_prefix),
        "signed_in": format_moment(info.created_at, tz),
        "last_active": format_moment(info.last_used_at, tz),
        "current": info.current,
    }


def event_row(event: dict, tz: str) -> dict:
    """One row of the activity, from `audit.public(event)`: what happened in words, when, from which network."""
    detail = event["detail"]
    if detail.startswith(sessions.SESSION_PREFIX):  # a session's id: its start tells sessions apart
        detail = f"session {detail.removeprefix(sessions.SESSION_PREFIX)[:8]}…"
    return {
        "id": event["id"],
        "what": EVENT_WORDS.get(event["event"], event["event"].replace("_", " ").capitalize()),
        "tone": "red" if event["event"] in ALARMING else "gray",
        "when": format_moment(event["at"], tz),
        "address": address_words(event["ip_prefix"]),
        "detail": detail,
    }
