"""The figures an insight is grounded in: totals, trend, best and worst links, peaks, anomalies.

`compute_facts` is usable on its own (a "quick insights" card needs no AI). Everything here is
counted from the owner's own links with bots left out, and no client address or user agent
ever reaches the result.
"""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ids
from linkapp.core.errors import ValidationFailed
from linkapp.models.link import Link
from linkapp.services.analytics import figures as analytics
from linkapp.services.analytics.figures import DayRange
from linkapp.services.links import service as link_service
from linkapp.services.rollups import reads as rollups
from linkapp.services.rollups.vocabulary import BUCKET_SECONDS, Scope

TOP_N = 5
RANKED_LINKS = 3
# A day is a spike when it has at least SPIKE_FACTOR times the median day and MIN_SPIKE clicks
# more than it, so a quiet link going from 0 to 2 clicks is not called an anomaly.
SPIKE_FACTOR = 3
MIN_SPIKE = 5
# A drop is only meaningful against a median that is not itself tiny.
MIN_MEDIAN_FOR_DROP = 10
# Longer ranges send the model weekday/hour shapes and anomalies, not every day.
DAILY_SERIES_MAX_DAYS = 92
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Breakdowns the analytics service may add (device, country...): passed on only when present.
BREAKDOWNS = {
    "clicks_by_device": ("top_devices", "device"),
    "clicks_by_browser": ("top_browsers", "browser"),
    "clicks_by_os": ("top_os", "os"),
    "clicks_by_country": ("top_countries", "country"),
    "clicks_by_referrer": ("top_referrers", "referrer"),
}


async def compute_facts(
    *, db: AsyncSession, owner_id: int, link_id: str | None = None, start: date | None = None, end: date | None = None, tz: str | None = None
) -> dict:
    """The facts about one link, or all of the owner's links, over a range of days.

    Args:
        db: Database session.
        owner_id: The signed-in user; only their links are read.
        link_id: Public id of one link, or None for all of the owner's links.
        start: First day, inclusive (default: 29 days before `end`).
        end: Last day, inclusive (default: today in `tz`).
        tz: IANA zone deciding which day, weekday and hour a click falls on (default UTC).

    Returns:
        A JSON-ready dict: scope, period, totals, trend, links (best/worst, all-links scope
        only), top_sources, breakdowns the analytics provide, peaks, clicks by weekday and hour,
        clicks_per_day (ranges up to 92 days) and anomalies.

    Raises:
        NotFound: `link_id` is unknown or belongs to someone else.
        ValidationFailed: bad range or zone.
    """
    days = analytics.day_range(start, end, tz)
    return await facts_for_range(db=db, owner_id=owner_id, link_id=link_id, days=days)


async def facts_for_range(*, db: AsyncSession, owner_id: int, link_id: str | None, days: DayRange) -> dict:
    """`compute_facts` for an already validated range."""
    facts: dict = {}
    if link_id is not None:
        link = await link_service.get_link(db=db, owner_id=owner_id, public_id=link_id)
        figures = await analytics.link_analytics(db=db, owner_id=owner_id, public_id=link_id, days=days)
        scope = Scope.link(link.id)
        facts["scope"] = "link"
        facts["link"] = {"id": ids.encode_link_id(link.id), "title": link.title, "url": link.url}
    else:
        figures = await analytics.summary(db=db, owner_id=owner_id, days=days)
        scope = Scope.owner(owner_id)
        facts["scope"] = "all_links"

    total = figures["total_clicks"]
    day_count = len(days.days())
    facts["period"] = {"start": days.start.isoformat(), "end": days.end.isoformat(), "tz": days.tz.key, "days": day_count}
    facts["totals"] = {"clicks": total, "unique_visitors": figures["unique_visitors"], "average_per_day": round(total / day_count, 2)}
    previous = previous_range(days)
    if previous is not None:
        facts["trend"] = trend(total, await _count(db, scope, previous), previous)
    if link_id is None:
        facts["links"] = rank_links(await _with_urls(db, owner_id, figures["links"]))
    facts["top_sources"] = _top(figures["clicks_by_source"], "source", total)
    facts.update(breakdowns(figures, total))

    hours, weekdays = hours_and_weekdays(await _quarter_hour_counts(db, scope, days), days)
    per_day = figures["clicks_per_day"]
    if total:
        facts["peaks"] = peaks(per_day, hours, weekdays)
    facts["clicks_by_weekday"] = dict(zip(WEEKDAYS, weekdays, strict=True))
    facts["clicks_by_hour"] = hours
    if day_count <= DAILY_SERIES_MAX_DAYS:
        facts["clicks_per_day"] = per_day
    facts["anomalies"] = anomalies(per_day)
    return facts


def previous_range(days: DayRange) -> DayRange | None:
    """The period of equal length just before `days`, or None when it would predate 1970."""
    length = timedelta(days=len(days.days()))
    try:
        return analytics.day_range(days.start - length, days.start - timedelta(days=1), days.tz.key)
    except ValidationFailed:
        return None


def trend(current: int, previous: int, previous_days: DayRange) -> dict:
    """How `current` compares with the previous period's `previous` clicks."""
    change = current - previous
    return {
        "previous_start": previous_days.start.isoformat(),
        "previous_end": previous_days.end.isoformat(),
        "previous_clicks": previous,
        "change": change,
        # No percentage from zero: "+inf %" helps nobody.
        "change_pct": round(change / previous * 100, 1) if previous else None,
        "direction": "up" if change > 0 else "down" if change < 0 else "flat",
    }


def rank_links(links: list[dict]) -> dict:
    """Best links (most clicks, at least one) and worst links (fewest), never listing one twice."""
    best = sorted((row for row in links if row["clicks"] > 0), key=lambda row: (-row["clicks"], row["title"]))[:RANKED_LINKS]
    best_ids = {row["id"] for row in best}
    worst = sorted((row for row in links if row["id"] not in best_ids), key=lambda row: (row["clicks"], row["title"]))[:RANKED_LINKS]
    return {"count": len(links), "with_clicks": sum(1 for row in links if row["clicks"] > 0), "best": best, "worst": worst}


def breakdowns(figures: dict, total: int) -> dict:
    """Top entries of the device/browser/OS/country/referrer breakdowns the analytics carry."""
    found = {}
    for key, (name, field) in BREAKDOWNS.items():
        rows = figures.get(key)
        if rows:
            found[name] = _top(rows, field, total)
    return found


def hours_and_weekdays(bucket_counts: list[tuple[int, int]], days: DayRange) -> tuple[list[int], list[int]]:
    """Clicks per local hour (24) and per local weekday (7, Monday first) from quarter-hour counts."""
    hours, weekdays = [0] * 24, [0] * 7
    for bucket, clicks in bucket_counts:
        moment = datetime.fromtimestamp(int(bucket) * BUCKET_SECONDS, UTC).astimezone(days.tz)
        hours[moment.hour] += clicks
        weekdays[moment.weekday()] += clicks
    return hours, weekdays


def peaks(per_day: list[dict], hours: list[int], weekdays: list[int]) -> dict:
    """The busiest day, weekday and hour (the earliest wins a tie)."""
    best_day = max(per_day, key=lambda row: row["clicks"])
    weekday = max(range(7), key=lambda i: weekdays[i])
    hour = max(range(24), key=lambda i: hours[i])
    return {
        "day": {"day": best_day["day"], "clicks": best_day["clicks"]},
        "weekday": {"weekday": WEEKDAYS[weekday], "clicks": weekdays[weekday]},
        "hour": {"hour": hour, "clicks": hours[hour]},
    }


def anomalies(per_day: list[dict]) -> list[dict]:
    """Days far above the median day (spikes) or far below a busy median (drops), largest first."""
    if len(per_day) < 3:
        return []
    median = statistics.median(row["clicks"] for row in per_day)
    found = []
    for row in per_day:
        clicks = row["clicks"]
        if clicks >= SPIKE_FACTOR * median and clicks - median >= MIN_SPIKE:
            found.append({"day": row["day"], "clicks": clicks, "median": median, "kind": "spike"})
        elif median >= MIN_MEDIAN_FOR_DROP and clicks * SPIKE_FACTOR <= median:
            found.append({"day": row["day"], "clicks": clicks, "median": median, "kind": "drop"})
    found.sort(key=lambda item: -abs(item["clicks"] - median))
    return found[:TOP_N]


def _top(rows: list[dict], field: str, total: int) -> list[dict]:
    return [
        {field: row[field], "clicks": row["clicks"], "share_pct": round(row["clicks"] / total * 100, 1) if total else 0.0}
        for row in rows[:TOP_N]
    ]


async def _count(db: AsyncSession, scope: Scope, days: DayRange) -> int:
    return sum(clicks for _, clicks in await _quarter_hour_counts(db, scope, days))


async def _quarter_hour_counts(db: AsyncSession, scope: Scope, days: DayRange) -> list[tuple[int, int]]:
    return await rollups.quarter_hour_counts(db, scope, days.utc_start, days.utc_end)


async def _with_urls(db: AsyncSession, owner_id: int, ranked: list[dict]) -> list[dict]:
    """The summary's per-link clicks with each link's URL, which the summary leaves out."""
    urls = {ids.encode_link_id(row.id): row.url for row in (await db.execute(select(Link.id, Link.url).where(Link.owner_id == owner_id))).all()}
    return [{"id": row["id"], "title": row["title"], "url": urls.get(row["id"]), "clicks": row["total_clicks"]} for row in ranked]

