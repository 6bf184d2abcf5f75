"""Click figures for one link or all of a user's links, bucketed by day in the viewer's time zone."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import BigInteger, Integer, cast, distinct, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ids
from linkapp.core.errors import ValidationFailed
from linkapp.models.event import LinkEvent
from linkapp.models.link import Link
from linkapp.services import links as link_service

DEFAULT_DAYS = 30
MAX_DAYS = 1830
# No click predates the Unix epoch, and a day past MAX_DAY has no next midnight a datetime can hold.
MIN_DAY = date(1970, 1, 1)
MAX_DAY = date(9999, 12, 30)
# Every UTC offset in use is a multiple of 15 minutes: counting per quarter hour in SQL and
# assigning quarters to local days in Python is exact, on SQLite and PostgreSQL alike.
BUCKET_SECONDS = 900


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


def bucket_expr(db: AsyncSession):
    """The quarter-hour (since the epoch) a click falls in, as SQL for this database."""
    if db.bind.dialect.name == "sqlite":
        # SQLite rounds fractional seconds to milliseconds, so 23:59:59.9999 would land on the next
        # day: cut the text to whole seconds first. `//` keeps the division integral.
        whole_seconds = func.substr(LinkEvent.clicked_at, 1, 19)
        return cast(func.strftime("%s", whole_seconds), Integer) // BUCKET_SECONDS
    return cast(func.floor(func.extract("epoch", LinkEvent.clicked_at) / BUCKET_SECONDS), BigInteger)


def event_filters(link_ids_query, days: DayRange) -> list:
    """Human clicks of these links inside the range."""
    return [
        LinkEvent.link_id.in_(link_ids_query),
        LinkEvent.clicked_at >= days.utc_start,
        LinkEvent.clicked_at < days.utc_end,
        LinkEvent.is_bot == false(),
    ]


async def _figures(db: AsyncSession, link_ids_query, days: DayRange) -> dict:
    where = event_filters(link_ids_query, days)
    visitor = func.coalesce(LinkEvent.ip_address, "") + "|" + func.coalesce(LinkEvent.user_agent, "")
    total, unique = (await db.execute(select(func.count(), func.count(distinct(visitor))).where(*where))).one()

    bucket = bucket_expr(db).label("bucket")
    per_day: Counter[date] = Counter()
    for bucket_value, clicks in (await db.execute(select(bucket, func.count()).where(*where).group_by(bucket))).all():
        moment = datetime.fromtimestamp(int(bucket_value) * BUCKET_SECONDS, UTC)
        per_day[moment.astimezone(days.tz).date()] += clicks

    source = func.coalesce(LinkEvent.source, "direct").label("source")
    by_source = (await db.execute(select(source, func.count()).where(*where).group_by(source).order_by(func.count().desc(), source))).all()
    return {
        "total_clicks": total,
        "unique_visitors": unique,
        "clicks_per_day": [{"day": day.isoformat(), "clicks": per_day.get(day, 0)} for day in days.days()],
        "clicks_by_source": [{"source": name or "direct", "clicks": clicks} for name, clicks in by_source],
        "start": days.start.isoformat(),
        "end": days.end.isoformat(),
        "tz": days.tz.key,
    }


async def link_analytics(*, db: AsyncSession, owner_id: int, public_id: str, days: DayRange) -> dict:
    link = await link_service.get_link(db=db, owner_id=owner_id, public_id=public_id)
    figures = await _figures(db, [link.id], days)
    return {
        "id": ids.encode_link_id(link.id),
        "title": link.title,
        "url": link.url,
        "shortened_url": link_service.shortened_url(link),
        **figures,
    }


async def summary(*, db: AsyncSession, owner_id: int, days: DayRange) -> dict:
    """The same figures over all the owner's links, plus each link's clicks in the range."""
    owned = select(Link.id).where(Link.owner_id == owner_id)
    figures = await _figures(db, owned.scalar_subquery(), days)
    per_link = dict(
        (await db.execute(select(LinkEvent.link_id, func.count()).where(*event_filters(owned.scalar_subquery(), days)).group_by(LinkEvent.link_id))).all()
    )
    owned_links = (await db.execute(select(Link.id, Link.title).where(Link.owner_id == owner_id))).all()
    ranked = sorted(owned_links, key=lambda row: (-per_link.get(row.id, 0), -row.id))
    return {
        **figures,
        "links": [{"id": ids.encode_link_id(row.id), "title": row.title, "total_clicks": per_link.get(row.id, 0)} for row in ranked],
    }
