"""Reading the rollups: whole UTC days from the daily tables, their edges from raw events.

A range of local days starts and ends at local midnights, which fall inside UTC days unless the
zone is UTC. Quarter hours cover any range exactly; unique visitors and breakdowns are kept per
UTC day, so the part of a UTC day inside the range (an "edge") is counted from raw events. On
PostgreSQL, breakdowns and clicks per link of an edge longer than half its day are its whole day
from the rollups minus the rest of that day from raw events (see `edges`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import case, distinct, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.models.event import LinkEvent
from linkapp.models.link import Link
from linkapp.models.rollup import LINK_SCOPE, DayRollup, DimensionRollup, QuarterHourRollup
from linkapp.services.rollups import edges
from linkapp.services.rollups.vocabulary import BOT, BREAKDOWN_COLUMNS, BUCKET_SECONDS, Figures, Scope, midnight, visitor_key


@dataclass(frozen=True)
class Split:
    """[start, end) cut into whole UTC days and the partial days at either end."""

    full_days: tuple[date, date] | None  # inclusive
    edges: tuple[tuple[datetime, datetime], ...]


def split(start: datetime, end: datetime) -> Split:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first = start if start == midnight(start.date()) else midnight(start.date() + timedelta(days=1))
    last = midnight(end.date())
    if first >= last:  # no whole UTC day inside: at most two partial days
        if start.date() == (end - timedelta(microseconds=1)).date():
            return Split(None, ((start, end),))
        middle = midnight(end.date())
        return Split(None, tuple(edge for edge in ((start, middle), (middle, end)) if edge[0] < edge[1]))
    partial_days = tuple(edge for edge in ((start, first), (last, end)) if edge[0] < edge[1])
    return Split((first.date(), (last - timedelta(days=1)).date()), partial_days)


def _counted(model, include_bots: bool):
    return model.clicks + model.bots if include_bots else model.clicks


async def quarter_hour_counts(db: AsyncSession, scope: Scope, start: datetime, end: datetime, *, include_bots: bool = False) -> list[tuple[int, int]]:
    """(quarter hour since the epoch, clicks) inside [start, end), from the rollups alone."""
    model = QuarterHourRollup
    query = (
        select(model.bucket, _counted(model, include_bots))
        .where(
            model.scope == scope.kind,
            model.scope_id == scope.key,
            model.bucket >= int(start.timestamp()) // BUCKET_SECONDS,
            model.bucket < int(end.timestamp()) // BUCKET_SECONDS,
        )
    )
    return [(int(bucket), int(clicks)) for bucket, clicks in (await db.execute(query)).all() if clicks]


QUARTERS_PER_DAY = 86400 // BUCKET_SECONDS
EPOCH_DAY = date(1970, 1, 1)


def _offset_quarters(moment: datetime, tz: tzinfo) -> int | None:
    """`tz`'s UTC offset at `moment` in quarter hours, or None if it is not a whole number of them."""
    seconds = int(moment.astimezone(tz).utcoffset().total_seconds())
    return None if seconds % BUCKET_SECONDS else seconds // BUCKET_SECONDS


def offset_segments(start: datetime, end: datetime, tz: tzinfo) -> list[tuple[int, int]] | None:
    """[start, end) as stretches of one UTC offset: (first quarter hour, offset in quarter hours),
    in time order. None if an offset is not a whole number of quarter hours (older history of a
    few zones); every offset in use today is one.

    Assumes at most one change of offset per day, as in every zone's rules."""
    first, last = int(start.timestamp()) // BUCKET_SECONDS, -(-int(end.timestamp()) // BUCKET_SECONDS)

    def at(bucket: int) -> int | None:
        return _offset_quarters(datetime.fromtimestamp(bucket * BUCKET_SECONDS, UTC), tz)

    offset = at(first)
    if offset is None:
        return None
    segments = [(first, offset)]
    bucket = first
    while bucket < last:
        following = min(last, bucket + QUARTERS_PER_DAY)
        later = at(following) if following < last else at(last - 1)
        if later is None:
            return None
        if later != offset:  # the change lies in (bucket, following]: find its first quarter hour
            low, high = bucket, following if following < last else last - 1
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if at(middle) == offset else (low, middle)
            offset = at(high)
            if offset is None:
                return None
            segments.append((high, offset))
        bucket = following
    return segments


async def clicks_per_local_day(
    db: AsyncSession, scope: Scope, start: datetime, end: datetime, tz: tzinfo, *, include_bots: bool = False
) -> Counter[date]:
    """Clicks per local day of `tz` inside [start, end), from the quarter-hour rollups.

    The database sums the quarter hours of each local day (about 30 rows come back instead of
    2,880): a quarter hour's local day is (bucket + offset in quarter hours) // 96, with the
    offsets worked out here, so the zone rules are Python's on every database."""
    segments = offset_segments(start, end, tz)
    per_day: Counter[date] = Counter()
    if segments is None:
        for bucket, clicks in await quarter_hour_counts(db, scope, start, end, include_bots=include_bots):
            per_day[datetime.fromtimestamp(bucket * BUCKET_SECONDS, UTC).astimezone(tz).date()] += clicks
        return per_day
    model = QuarterHourRollup
    if len(segments) == 1:
        offset = literal(segments[0][1])
    else:
        offset = case(*((model.bucket >= first, shift) for first, shift in reversed(segments[1:])), else_=segments[0][1])
    local_day = (model.bucket + offset) // QUARTERS_PER_DAY
    query = (
        select(local_day, func.sum(_counted(model, include_bots)))
        .where(
            model.scope == scope.kind,
            model.scope_id == scope.key,
            model.bucket >= int(start.timestamp()) // BUCKET_SECONDS,
            model.bucket < int(end.timestamp()) // BUCKET_SECONDS,
        )
        .group_by(local_day)
    )
    for day, clicks in (await db.execute(query)).all():
        if clicks:
            per_day[EPOCH_DAY + timedelta(days=int(day))] += int(clicks)
    return per_day


async def figures(
    db: AsyncSession, scope: Scope, start: datetime, end: datetime, tz: tzinfo, *, include_bots: bool = False, per_link: bool = False
) -> Figures:
    """Clicks per local day, unique visitors, breakdowns and (`per_link`, owner scope only)
    clicks per link.

    On PostgreSQL the edges (partial UTC days) of a range are read from raw events once, in one
    statement for every figure, instead of once per figure and edge."""
    per_day = await clicks_per_local_day(db, scope, start, end, tz, include_bots=include_bots)
    parts = split(start, end)
    if not parts.edges or db.bind.dialect.name != "postgresql":
        return Figures(
            per_day=per_day,
            visitors=await visitors(db, scope, start, end),
            breakdowns=await breakdowns(db, scope, start, end, include_bots=include_bots),
            per_link=await clicks_per_link(db, scope.key, start, end, include_bots=include_bots) if per_link else None,
        )
    result = Figures(per_day=per_day, visitors=0, breakdowns=_empty_breakdowns(), per_link={} if per_link else None)
    if parts.full_days:
        result.visitors = await _full_day_visitors(db, scope, parts.full_days)
        await _full_day_breakdowns(db, scope, parts.full_days, result.breakdowns, include_bots)
        if per_link:
            result.per_link = await _full_day_clicks_per_link(db, scope.key, parts.full_days, include_bots)
    await edges.edge_figures(db, scope, parts.edges, result, include_bots)
    return result


def _empty_breakdowns() -> dict[str, Counter]:
    return {name: Counter() for name in (*BREAKDOWN_COLUMNS, "bot_reason")}


async def _full_day_visitors(db: AsyncSession, scope: Scope, days: tuple[date, date]) -> int:
    model = DayRollup
    query = select(func.sum(model.visitors)).where(model.scope == scope.kind, model.scope_id == scope.key, model.day.between(*days))
    return int((await db.execute(query)).scalar_one() or 0)


async def _full_day_breakdowns(db: AsyncSession, scope: Scope, days: tuple[date, date], result: dict[str, Counter], include_bots: bool) -> None:
    model = DimensionRollup
    rows = await db.execute(
        select(model.dimension, model.value, func.sum(model.clicks), func.sum(model.bots))
        .where(model.scope == scope.kind, model.scope_id == scope.key, model.day.between(*days))
        .group_by(model.dimension, model.value)
    )
    for dimension, value, clicks, bots in rows.all():
        if dimension == "bot_reason":
            result[dimension][value] += int(bots or 0)
        elif dimension in result:
            result[dimension][value] += int(clicks or 0) + (int(bots or 0) if include_bots else 0)


async def _full_day_clicks_per_link(db: AsyncSession, owner_id: int, days: tuple[date, date], include_bots: bool) -> dict[int, int]:
    model = DayRollup
    owned = select(Link.id).where(Link.owner_id == owner_id)
    rows = await db.execute(
        select(model.scope_id, func.sum(_counted(model, include_bots)))
        .where(model.scope == LINK_SCOPE, model.scope_id.in_(owned), model.day.between(*days))
        .group_by(model.scope_id)
    )
    return {link_id: int(clicks or 0) for link_id, clicks in rows.all()}


async def clicks_per_link(db: AsyncSession, owner_id: int, start: datetime, end: datetime, *, include_bots: bool = False) -> dict[int, int]:
    """Each of the owner's links' clicks inside [start, end): whole days from daily rollups."""
    parts = split(start, end)
    totals: Counter[int] = Counter()
    owned = select(Link.id).where(Link.owner_id == owner_id)
    if parts.full_days:
        totals.update(await _full_day_clicks_per_link(db, owner_id, parts.full_days, include_bots))
    for edge_start, edge_end in parts.edges:
        query = select(LinkEvent.link_id, func.count()).where(
            LinkEvent.link_id.in_(owned), LinkEvent.clicked_at >= edge_start, LinkEvent.clicked_at < edge_end
        )
        if not include_bots:
            query = query.where(LinkEvent.is_bot.is_(False))
        totals.update(dict((await db.execute(query.group_by(LinkEvent.link_id))).all()))
    return dict(totals)


async def visitors(db: AsyncSession, scope: Scope, start: datetime, end: datetime) -> int:
    """Unique visitors in [start, end). Visitor ids change every UTC day, so days add up."""
    parts = split(start, end)
    total = 0
    if parts.full_days:
        total += await _full_day_visitors(db, scope, parts.full_days)
    from_rollups, raw_edges = await edges.edge_visitors_from_rollups(db, scope, parts.edges)
    total += from_rollups
    visitor = visitor_key()
    for edge_start, edge_end in raw_edges:
        query = select(func.count(distinct(visitor))).where(
            scope.event_filter(), LinkEvent.clicked_at >= edge_start, LinkEvent.clicked_at < edge_end, LinkEvent.is_bot.is_(False)
        )
        total += int((await db.execute(query)).scalar_one() or 0)
    return total


async def breakdowns(db: AsyncSession, scope: Scope, start: datetime, end: datetime, *, include_bots: bool = False) -> dict[str, Counter]:
    """Clicks per value of each dimension (source, device, ...), plus bots per reason. On
    PostgreSQL `figures` reads a shifted range's edges with `edges.edge_figures` instead."""
    parts = split(start, end)
    result = _empty_breakdowns()
    if parts.full_days:
        await _full_day_breakdowns(db, scope, parts.full_days, result, include_bots)
    for edge_start, edge_end in parts.edges:
        where = (scope.event_filter(), LinkEvent.clicked_at >= edge_start, LinkEvent.clicked_at < edge_end)
        await _edge_breakdowns_grouped(db, where, result, include_bots)
    return result


async def _edge_breakdowns_grouped(db: AsyncSession, where: tuple, result: dict[str, Counter], include_bots: bool) -> None:
    columns = [column for column, _ in BREAKDOWN_COLUMNS.values()]
    query = select(*columns, LinkEvent.is_bot, LinkEvent.bot_reason, func.count()).where(*where).group_by(*columns, LinkEvent.is_bot, LinkEvent.bot_reason)
    for *values, is_bot, reason, count in (await db.execute(query)).all():
        if is_bot:
            result["bot_reason"][reason or BOT] += count
            if not include_bots:
                continue
        for (name, (_, missing)), value in zip(BREAKDOWN_COLUMNS.items(), values, strict=True):
            result[name][value or missing] += count


async def all_time_clicks(db: AsyncSession, link_ids: list[int]) -> dict[int, int]:
    """Human clicks of all time per link, from the daily rollups."""
    if not link_ids:
        return {}
    rows = await db.execute(
        select(DayRollup.scope_id, func.sum(DayRollup.clicks))
        .where(DayRollup.scope == LINK_SCOPE, DayRollup.scope_id.in_(link_ids))
        .group_by(DayRollup.scope_id)
    )
    return {link_id: int(clicks or 0) for link_id, clicks in rows.all()}
