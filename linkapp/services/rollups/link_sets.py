"""Reading the rollups of a set of links (one tag's): what the links' own rollups add up to.

An owner's rollups cover all of their links and cannot be cut by tag, so a set's clicks per
day, breakdowns and clicks per link are the sums of its links' rows, and the edges (partial UTC
days) of a shifted range come from those links' raw events, as `reads` reads them for one link.
Unique visitors do not add up across links (one person may click two of them): each UTC day's
are counted distinct from the links' visitor rows (visitor ids change every UTC day, so days
add up), and from raw events where those rows cannot tell.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import case, distinct, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.models.event import LinkEvent
from linkapp.models.rollup import LINK_SCOPE, DayRollup, DayVisitor, DimensionRollup, QuarterHourRollup
from linkapp.services.rollups import reads
from linkapp.services.rollups.vocabulary import BREAKDOWN_COLUMNS, BUCKET_SECONDS, Figures, midnight, visitor_key


async def figures(
    db: AsyncSession, links, start: datetime, end: datetime, tz: tzinfo, *, include_bots: bool = False, per_link: bool = False
) -> Figures:
    """Clicks per local day of `tz`, unique visitors, breakdowns and (`per_link`) clicks per link
    inside [start, end), over the links whose ids `links` (a SELECT of link ids) gives."""
    parts = reads.split(start, end)
    return Figures(
        per_day=await _clicks_per_local_day(db, links, start, end, tz, include_bots),
        visitors=await _visitors(db, links, parts),
        breakdowns=await _breakdowns(db, links, parts, include_bots),
        per_link=await _clicks_per_link(db, links, parts, include_bots) if per_link else None,
    )


def _rows_of(model, links) -> tuple:
    """A rollup table's rows that belong to the links."""
    return model.scope == LINK_SCOPE, model.scope_id.in_(links)


def _counted(model, include_bots: bool):
    return model.clicks + model.bots if include_bots else model.clicks


async def _clicks_per_local_day(db: AsyncSession, links, start: datetime, end: datetime, tz: tzinfo, include_bots: bool) -> Counter[date]:
    """As `reads.clicks_per_local_day`: the database sums each local day's quarter hours."""
    model = QuarterHourRollup
    where = (*_rows_of(model, links), model.bucket >= int(start.timestamp()) // BUCKET_SECONDS, model.bucket < int(end.timestamp()) // BUCKET_SECONDS)
    clicks = func.sum(_counted(model, include_bots))
    per_day: Counter[date] = Counter()
    segments = reads.offset_segments(start, end, tz)
    if segments is None:  # an offset of no whole quarter hours: the zone's rules per quarter hour, here
        for bucket, count in (await db.execute(select(model.bucket, clicks).where(*where).group_by(model.bucket))).all():
            if count:
                per_day[datetime.fromtimestamp(bucket * BUCKET_SECONDS, UTC).astimezone(tz).date()] += int(count)
        return per_day
    if len(segments) == 1:
        offset = literal(segments[0][1])
    else:
        offset = case(*((model.bucket >= first, shift) for first, shift in reversed(segments[1:])), else_=segments[0][1])
    local_day = (model.bucket + offset) // reads.QUARTERS_PER_DAY
    for day, count in (await db.execute(select(local_day, clicks).where(*where).group_by(local_day))).all():
        if count:
            per_day[reads.EPOCH_DAY + timedelta(days=int(day))] += int(count)
    return per_day


async def _visitors(db: AsyncSession, links, parts: reads.Split) -> int:
    """Distinct visitors per UTC day over all the links, added up."""
    total = 0
    if parts.full_days:
        model = DayVisitor
        pairs = select(model.day, model.visitor_id).where(*_rows_of(model, links), model.day.between(*parts.full_days)).distinct().subquery()
        total += int((await db.execute(select(func.count()).select_from(pairs))).scalar_one())
    for edge_start, edge_end in parts.edges:
        total += await _edge_visitors(db, links, edge_start, edge_end)
    return total


async def _edge_visitors(db: AsyncSession, links, edge_start: datetime, edge_end: datetime) -> int:
    """One edge's distinct visitors over all the links: from the visitor rows when they can tell
    (see `edges.edge_visitors_from_rollups`; a visitor counts if seen inside the edge on any of
    the links), else from raw events."""
    model = DayVisitor
    day = edge_start.date()
    seen = None
    if edge_end == midnight(day) + timedelta(days=1) and edge_start.timestamp() % BUCKET_SECONDS == 0:
        seen = model.last_bucket >= int(edge_start.timestamp()) // BUCKET_SECONDS
    elif edge_start == midnight(day) and edge_end.timestamp() % BUCKET_SECONDS == 0:
        seen = model.first_bucket < int(edge_end.timestamp()) // BUCKET_SECONDS
    if seen is not None:
        query = select(func.count(distinct(case((seen, model.visitor_id)))), func.count().filter(model.first_bucket.is_(None))).where(
            *_rows_of(model, links), model.day == day
        )
        counted, unknown = (await db.execute(query)).one()
        if not unknown:
            return int(counted)
    query = select(func.count(distinct(visitor_key()))).where(
        LinkEvent.link_id.in_(links), LinkEvent.clicked_at >= edge_start, LinkEvent.clicked_at < edge_end, LinkEvent.is_bot.is_(False)
    )
    return int((await db.execute(query)).scalar_one() or 0)


async def _breakdowns(db: AsyncSession, links, parts: reads.Split, include_bots: bool) -> dict[str, Counter]:
    """Clicks per value of each dimension, plus bots per reason, as `reads.breakdowns`."""
    result: dict[str, Counter] = {name: Counter() for name in (*BREAKDOWN_COLUMNS, "bot_reason")}
    if parts.full_days:
        model = DimensionRollup
        rows = await db.execute(
            select(model.dimension, model.value, func.sum(model.clicks), func.sum(model.bots))
            .where(*_rows_of(model, links), model.day.between(*parts.full_days))
            .group_by(model.dimension, model.value)
        )
        for dimension, value, clicks, bots in rows.all():
            if dimension == "bot_reason":
                result[dimension][value] += int(bots or 0)
            elif dimension in result:
                result[dimension][value] += int(clicks or 0) + (int(bots or 0) if include_bots else 0)
    for edge_start, edge_end in parts.edges:
        where = (LinkEvent.link_id.in_(links), LinkEvent.clicked_at >= edge_start, LinkEvent.clicked_at < edge_end)
        # The one place that names a raw event's missing values as the rollups name them.
        await reads._edge_breakdowns_grouped(db, where, result, include_bots)
    return result


async def _clicks_per_link(db: AsyncSession, links, parts: reads.Split, include_bots: bool) -> dict[int, int]:
    totals: Counter[int] = Counter()
    if parts.full_days:
        model = DayRollup
        rows = await db.execute(
            select(model.scope_id, func.sum(_counted(model, include_bots)))
            .where(*_rows_of(model, links), model.day.between(*parts.full_days))
            .group_by(model.scope_id)
        )
        totals.update({link_id: int(clicks or 0) for link_id, clicks in rows.all()})
    for edge_start, edge_end in parts.edges:
        query = select(LinkEvent.link_id, func.count()).where(LinkEvent.link_id.in_(links), LinkEvent.clicked_at >= edge_start, LinkEvent.clicked_at < edge_end)
        if not include_bots:
            query = query.where(LinkEvent.is_bot.is_(False))
        totals.update(dict((await db.execute(query.group_by(LinkEvent.link_id))).all()))
    return dict(totals)
