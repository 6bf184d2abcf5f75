"""Reading the rollups: whole UTC days from the daily tables, their edges from raw events.

A range of local days starts and ends at local midnights, which fall inside UTC days unless the
zone is UTC. Quarter hours cover any range exactly; unique visitors and breakdowns are kept per
UTC day, so the part of a UTC day inside the range (an "edge") is counted from raw events.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, distinct, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.models.event import LinkEvent
from linkapp.models.link import Link
from linkapp.models.rollup import LINK_SCOPE, OWNER_SCOPE, DayRollup, DayVisitor, DimensionRollup, QuarterHourRollup

BUCKET_SECONDS = 900
# Event columns behind each breakdown, and what a missing value is called.
EDGE_COLUMNS = {
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
        if self.kind == LINK_SCOPE:
            return LinkEvent.link_id == self.key
        return LinkEvent.link_id.in_(select(Link.id).where(Link.owner_id == self.key))


@dataclass(frozen=True)
class Split:
    """[start, end) cut into whole UTC days and the partial days at either end."""

    full_days: tuple[date, date] | None  # inclusive
    edges: tuple[tuple[datetime, datetime], ...]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def split(start: datetime, end: datetime) -> Split:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first = start if start == _midnight(start.date()) else _midnight(start.date() + timedelta(days=1))
    last = _midnight(end.date())
    if first >= last:  # no whole UTC day inside: at most two partial days
        if start.date() == (end - timedelta(microseconds=1)).date():
            return Split(None, ((start, end),))
        middle = _midnight(end.date())
        return Split(None, tuple(edge for edge in ((start, middle), (middle, end)) if edge[0] < edge[1]))
    edges = tuple(edge for edge in ((start, first), (last, end)) if edge[0] < edge[1])
    return Split((first.date(), (last - timedelta(days=1)).date()), edges)


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


async def clicks_per_link(db: AsyncSession, owner_id: int, start: datetime, end: datetime, *, include_bots: bool = False) -> dict[int, int]:
    """Each of the owner's links' clicks inside [start, end): whole days from daily rollups."""
    parts = split(start, end)
    totals: Counter[int] = Counter()
    owned = select(Link.id).where(Link.owner_id == owner_id)
    if parts.full_days:
        model = DayRollup
        rows = await db.execute(
            select(model.scope_id, func.sum(_counted(model, include_bots)))
            .where(model.scope == LINK_SCOPE, model.scope_id.in_(owned), model.day.between(*parts.full_days))
            .group_by(model.scope_id)
        )
        totals.update({link_id: int(clicks or 0) for link_id, clicks in rows.all()})
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
        model = DayRollup
        query = select(func.sum(model.visitors)).where(model.scope == scope.kind, model.scope_id == scope.key, model.day.between(*parts.full_days))
        total += int((await db.execute(query)).scalar_one() or 0)
    visitor = func.coalesce(LinkEvent.visitor_id, func.coalesce(LinkEvent.ip_address, "") + "|" + func.coalesce(LinkEvent.user_agent, ""))
    for edge_start, edge_end in parts.edges:
        query = select(func.count(distinct(visitor))).where(
            scope.event_filter(), LinkEvent.clicked_at >= edge_start, LinkEvent.clicked_at < edge_end, LinkEvent.is_bot.is_(False)
        )
        total += int((await db.execute(query)).scalar_one() or 0)
    return total


async def breakdowns(db: AsyncSession, scope: Scope, start: datetime, end: datetime, *, include_bots: bool = False) -> dict[str, Counter]:
    """Clicks per value of each dimension (source, device, ...), plus bots per reason."""
    parts = split(start, end)
    result: dict[str, Counter] = {name: Counter() for name in (*EDGE_COLUMNS, "bot_reason")}
    if parts.full_days:
        model = DimensionRollup
        rows = await db.execute(
            select(model.dimension, model.value, func.sum(model.clicks), func.sum(model.bots))
            .where(model.scope == scope.kind, model.scope_id == scope.key, model.day.between(*parts.full_days))
            .group_by(model.dimension, model.value)
        )
        for dimension, value, clicks, bots in rows.all():
            if dimension == "bot_reason":
                result[dimension][value] += int(bots or 0)
            elif dimension in result:
                result[dimension][value] += int(clicks or 0) + (int(bots or 0) if include_bots else 0)
    for edge_start, edge_end in parts.edges:
        where = (scope.event_filter(), LinkEvent.clicked_at >= edge_start, LinkEvent.clicked_at < edge_end)
        if db.bind.dialect.name == "postgresql":
            await _edge_breakdowns_grouping_sets(db, where, result, include_bots)
        else:
            await _edge_breakdowns_grouped(db, where, result, include_bots)
    return result


async def _edge_breakdowns_grouped(db: AsyncSession, where: tuple, result: dict[str, Counter], include_bots: bool) -> None:
    columns = [column for column, _ in EDGE_COLUMNS.values()]
    query = select(*columns, LinkEvent.is_bot, LinkEvent.bot_reason, func.count()).where(*where).group_by(*columns, LinkEvent.is_bot, LinkEvent.bot_reason)
    for *values, is_bot, reason, count in (await db.execute(query)).all():
        if is_bot:
            result["bot_reason"][reason or "bot"] += count
            if not include_bots:
                continue
        for (name, (_, missing)), value in zip(EDGE_COLUMNS.items(), values, strict=True):
            result[name][value or missing] += count


async def _edge_breakdowns_grouping_sets(db: AsyncSession, where: tuple, result: dict[str, Counter], include_bots: bool) -> None:
    """One scan for every breakdown (GROUPING SETS): grouping by all columns at once made
    PostgreSQL sort tens of thousands of groups for a busy owner's edge days."""
    columns = [column for column, _ in EDGE_COLUMNS.values()] + [LinkEvent.bot_reason]
    names = [*EDGE_COLUMNS, "bot_reason"]
    sets = [tuple_(column, LinkEvent.is_bot) for column in columns]
    query = (
        select(*columns, LinkEvent.is_bot, *(func.grouping(column) for column in columns), func.count())
        .where(*where)
        .group_by(func.grouping_sets(*sets))
    )
    width = len(columns)
    for row in (await db.execute(query)).all():
        values, is_bot, flags, count = row[:width], row[width], row[width + 1 : 2 * width + 1], row[-1]
        which = list(flags).index(0)  # the one breakdown this row counts
        name, value = names[which], values[which]
        if name == "bot_reason":
            if is_bot:
                result[name][value or "bot"] += count
        elif include_bots or not is_bot:
            result[name][value or EDGE_COLUMNS[name][1]] += count


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


async def remove_link(db: AsyncSession, link_id: int, owner_id: int) -> None:
    """Take a deleted link out of its owner's rollups and drop its own (same transaction)."""
    link_rows = lambda model: (model.scope == LINK_SCOPE) & (model.scope_id == link_id)  # noqa: E731
    owner_rows = lambda model: (model.scope == OWNER_SCOPE) & (model.scope_id == owner_id)  # noqa: E731
    for model, keys in ((QuarterHourRollup, ("bucket",)), (DayRollup, ("day",)), (DimensionRollup, ("day", "dimension", "value"))):
        columns = [getattr(model, key) for key in keys]
        for row in (await db.execute(select(*columns, model.clicks, model.bots).where(link_rows(model)))).all():
            match = [column == value for column, value in zip(columns, row[: len(keys)], strict=True)]
            await db.execute(
                update(model).where(owner_rows(model), *match).values(clicks=model.clicks - row.clicks, bots=model.bots - row.bots)
            )
    # Owner visitors: drop those only this link saw that day, then recount what is left.
    link_visitors = (await db.execute(select(DayVisitor.day, DayVisitor.visitor_id).where(link_rows(DayVisitor)))).all()
    others = select(Link.id).where(Link.owner_id == owner_id, Link.id != link_id)
    for day, visitor_id in link_visitors:
        seen_elsewhere = await db.execute(
            select(DayVisitor.scope_id).where(
                DayVisitor.scope == LINK_SCOPE, DayVisitor.scope_id.in_(others), DayVisitor.day == day, DayVisitor.visitor_id == visitor_id
            ).limit(1)
        )
        if seen_elsewhere.first() is None:
            await db.execute(delete(DayVisitor).where(owner_rows(DayVisitor), DayVisitor.day == day, DayVisitor.visitor_id == visitor_id))
    for day in {day for day, _ in link_visitors}:
        remaining = select(func.count()).select_from(DayVisitor).where(owner_rows(DayVisitor), DayVisitor.day == day).scalar_subquery()
        await db.execute(update(DayRollup).where(owner_rows(DayRollup), DayRollup.day == day).values(visitors=remaining))
    for model in (QuarterHourRollup, DayRollup, DimensionRollup, DayVisitor):
        await db.execute(delete(model).where(link_rows(model)))
