"""A link's status as its owner sees it, and the rules for bringing an ended link back.

The status says what the redirect does with the link now; `redirects.visit` decides the same
way on the hot path, in the same order (disabled, then expiry, then the click limit).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from linkapp.core.errors import ValidationFailed
from linkapp.models.link import LinkStatus

ACTIVE: LinkStatus = "active"
EXPIRED: LinkStatus = "expired"
LIMIT_REACHED: LinkStatus = "limit_reached"
DISABLED: LinkStatus = "disabled"
# What "Extend" offers besides a chosen date.
EXTEND_DAYS = (7, 30)


def link_status(*, disabled: bool, expires_at: datetime | None, max_clicks: int | None, used: int | None, now: datetime) -> LinkStatus:
    """What the redirect does with a link at `now`.

    Args:
        disabled: the owner switched it off (404).
        expires_at: when it stops redirecting, if ever.
        max_clicks: how many counted clicks it redirects, if limited.
        used: how many of them are used (`allowance.used`); ignored without a limit.
        now: the moment asked about.

    Returns:
        `disabled`, `expired`, `limit_reached` or `active`, the first that applies.
    """
    if disabled:
        return DISABLED
    if expires_at is not None and expires_at <= now:
        return EXPIRED
    if max_clicks is not None and (used or 0) >= max_clicks:
        return LIMIT_REACHED
    return ACTIVE


def extended_expiry(expires_at: datetime | None, days: int, *, now: datetime) -> datetime:
    """The expiry `days` later: counted from the current one while it lies ahead, else from now
    (an expired link extended by a week runs for a week from today)."""
    if days < 1:
        raise ValidationFailed("Extend by at least one day.", field="expires_at")
    start = expires_at if expires_at is not None and expires_at > now else now
    return start + timedelta(days=days)


def raised_limit(max_clicks: int, used: int) -> int:
    """A new click limit for a link with `used` clicks counted: it must leave some to use."""
    if max_clicks <= used:
        raise ValidationFailed(f"{used} clicks are counted already: the new limit must be higher.", field="max_clicks")
    return max_clicks
