"""What the rollups' writer and readers share: scopes, the bucket size, the breakdowns' event
columns, who a visitor is, and the answer a dashboard gets.

The lowest module of the package: `writes`, `reads` and `edges` import it, it imports none of them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select

from linkapp.models.event import LinkEvent
from linkapp.models.link import Link
from linkapp.models.rollup import LINK_SCOPE, OWNER_SCOPE
from linkapp.services.visitors.bots import BOT

__all__ = ["BOT", "BREAKDOWN_COLUMNS", "BUCKET_SECONDS", "Figures", "Scope", "midnight", "visitor_key"]

# Quarter hours. Every UTC offset in use is a multiple of 15 minutes, so quarter-hour rollups
# summed per local day (`reads.clicks_per_local_day`) are exact in any zone.
BUCKET_SECONDS = 900

# Event columns behind each breakdown, and what a missing value is called. A bot's missing
# reason is called `BOT` (the bots' generic reason, also the device class of every bot).
BREAKDOWN_COLUMNS = {
    "source": (LinkEvent.source, "direct"),
    "referrer": (LinkEvent.referrer_host, "direct"),
    "device": (LinkEvent.device, "unknown"),
    "browser": (LinkEvent.browser, "unknown"),
    "os": (LinkEvent.os, "unknown"),
    "country": (LinkEvent.country, "unknown"),
}


@dataclass(frozen=True)
class Scope:
    """One link, or all of one owner's links."""

    kind: str
    key: int

    @classmethod
    def link(cls, link_id: int) -> Scope:
        return cls(LINK_SCOPE, link_id)

    @classmethod
    def owner(cls, owner_id: int) -> Scope:
        return cls(OWNER_SCOPE, owner_id)

    def event_filter(self):
        """A condition on link_events: the scope's events."""
        if self.kind == LINK_SCOPE:
            return LinkEvent.link_id == self.key
        return LinkEvent.link_id.in_(select(Link.id).where(Link.owner_id == self.key))


@dataclass
class Figures:
    """Everything a dashboard shows for a scope and range (per_link only when asked for)."""

    per_day: Counter[date]
    visitors: int
    breakdowns: dict[str, Counter]
    per_link: dict[int, int] | None = None


def midnight(day: date) -> datetime:
    """The UTC midnight that starts `day`: the rollups' days are UTC days."""
    return datetime.combine(day, time.min, UTC)


def visitor_key():
    """Who a raw event's visitor is (events stored before visitor ids: address and agent)."""
    return func.coalesce(LinkEvent.visitor_id, func.coalesce(LinkEvent.ip_address, "") + "|" + func.coalesce(LinkEvent.user_agent, ""))
