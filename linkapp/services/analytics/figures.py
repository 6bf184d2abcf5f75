"""Click figures for one link or all of a user's links, bucketed by day in the viewer's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import false, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ids
from linkapp.core.errors import ValidationFailed
from linkapp.models.link import Link, LinkTag
from linkapp.services.links import service as link_service
from linkapp.services.links import tags
from linkapp.services.rollups import link_sets
from linkapp.services.rollups import reads as rollups
from linkapp.services.rollups.vocabulary import Figures, Scope
from linkapp.services.visitors.bots import AFTER_EXPIRY

DEFAULT_DAYS = 30
MAX_DAYS = 1830
# No click predates the Unix epoch, and a day past MAX_DAY has no next midnight a datetime can hold.
MIN_DAY = date(1970, 1, 1)
MAX_DAY = date(9999, 12, 30)
# An owner's summary names every link: hashids cost ~75 µs a link (75 ms for 1,000 links), and a
# link's public id never changes.
_public_link_id = lru_cache(maxsize=65_536)(ids.encode_link_id)


@dataclass(frozen=True)
class DayRange:
    start: date
    end: date
    tz: ZoneInfo

    @property
    def utc_start(self) -> datetime:
        return datetime.combine(self.start, time.min, self.tz).astimezone(UTC)

    @property
    def utc_end(self) -> datetime:
        """Exclusive: midnight after the last day, local time."""
        return datetime.combine(self.end + timedelta(days=1), time.min, self.tz).astimezone(UTC)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def day_range(start: date | None = None, end: date | None = None, tz: str | None = None, *, now: datetime | None = None) -> DayRange:
    """The inclusive range of days asked for.

    `end` defaults to today in `tz` and `start` to 29 days before `end`, so no arguments give
    the 30 days ending today.

    Raises:
        ValidationFailed: unknown zone, a day out of range, start after end, or too many days.
    """
    try:
        zone = ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"Unknown time zone “{tz}”; use an IANA name such as Europe/Paris.", errors=[{"loc": ["query", "tz"], "msg": "unknown time zone"}]) from exc
    for name, day in (("start", start), ("end", end)):
        if day is not None and not MIN_DAY <= day <= MAX_DAY:
            raise ValidationFailed(
                f"{name} must be between {MIN_DAY.isoformat()} and {MAX_DAY.isoformat()}.",
                errors=[{"loc": ["query", name], "msg": "day out of range"}],
            )
    end = end or (now or datetime.now(UTC)).astimezone(zone).date()
    start = start or max(MIN_DAY, end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        raise ValidationFailed("start must be on or before end.", errors=[{"loc": ["query", "start"], "msg": "start is after end"}])
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"A range covers at most {MAX_DAYS} days.", errors=[{"loc": ["query", "start"], "msg": "range too long"}])
    return DayRange(start, end, zone)


BREAKDOWN_KEYS = {
    "source": "clicks_by_source",
    "device": "clicks_by_device",
    "browser": "clicks_by_browser",
    "os": "clicks_by_os",
    "country": "clicks_by_country",
    "referrer": "clicks_by_referrer",
}


def _ranked(counter, key: str) -> list[dict]:
    return [{key: value, "clicks": clicks} for value, clicks in sorted(counter.items(), key=lambda item: (-item[1], item[0])) if clicks]


async def _figures(db: AsyncSession, scope: Scope, days: DayRange, include_bots: bool, *, per_link: bool = False) -> tuple[dict, dict[int, int] | None]:
    found = await rollups.figures(db, scope, days.utc_start, days.utc_end, days.tz, include_bots=include_bots, per_link=per_link)
    return _shaped(found, days, include_bots), found.per_link


def _shaped(found: Figures, days: DayRange, include_bots: bool) -> dict:
    """The figures as the API and the pages show them."""
    per_day, counts = found.per_day, found.breakdowns
    figures = {
        "total_clicks": sum(per_day.values()),
        "unique_visitors": found.visitors,
        "clicks_per_day": [{"day": day.isoformat(), "clicks": per_day.get(day, 0)} for day in days.days()],
    }
    for dimension, name in BREAKDOWN_KEYS.items():
        figures[name] = _ranked(counts[dimension], dimension)
    # Visits sent to a fallback are kept apart like bots' (never in total_clicks), but are people.
    figures["expired_visits"] = counts["bot_reason"].pop(AFTER_EXPIRY, 0)
    figures["bots"] = [{"reason": row["reason"], "clicks": row["clicks"]} for row in _ranked(counts["bot_reason"], "reason")]
    figures.update(start=days.start.isoformat(), end=days.end.isoformat(), tz=days.tz.key, include_bots=include_bots)
    return figures


async def link_analytics(*, db: AsyncSession, owner_id: int, public_id: str, days: DayRange, include_bots: bool = False) -> dict:
    link = await link_service.get_link(db=db, owner_id=owner_id, public_id=public_id)
    figures, _ = await _figures(db, Scope.link(link.id), days, include_bots)
    return {
        "id": ids.encode_link_id(link.id),
        "title": link.title,
        "url": link.url,
        "shortened_url": link_service.shortened_url(link),
        **figures,
    }


async def summary(*, db: AsyncSession, owner_id: int, days: DayRange, include_bots: bool = False, tag: str | None = None) -> dict:
    """The same figures over all the owner's links, or (`tag`) over those that carry the tag, plus
    each of those links' clicks in the range. A tag the owner does not use has no links: zeros."""
    owned = select(Link.id, Link.title).where(Link.owner_id == owner_id)
    if tag is None or not tag.strip():
        tag = None
        figures, per_link = await _figures(db, Scope.owner(owner_id), days, include_bots, per_link=True)
    else:
        # The owner's rollups cannot be cut by tag: the tagged links' own rollups are added up.
        key = tags.tag_key(tag)
        owned = owned.where(Link.id.in_(select(LinkTag.link_id).where(LinkTag.tag == key)) if key else false())
        tag = key or tag.strip()
        found = await link_sets.figures(db, owned.with_only_columns(Link.id), days.utc_start, days.utc_end, days.tz, include_bots=include_bots, per_link=True)
        figures, per_link = _shaped(found, days, include_bots), found.per_link
    owned_links = (await db.execute(owned)).all()
    ranked = sorted(owned_links, key=lambda row: (-per_link.get(row.id, 0), -row.id))
    return {
        **figures,
        "tag": tag,
        "links": [{"id": _public_link_id(row.id), "title": row.title, "total_clicks": per_link.get(row.id, 0)} for row in ranked],
    }
