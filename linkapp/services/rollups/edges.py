"""The edges of a range on PostgreSQL: the partial UTC days a shifted zone cuts, read from raw
events in two statements for every figure (visitors; breakdowns and clicks per link).

Breakdowns and clicks per link of an edge longer than half its day are its whole day from the
rollups minus the rest of that day from raw events (`_edge_counts`): fewer events to read.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import String, and_, case, cast, func, literal, null, or_, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.models.event import LinkEvent
from linkapp.models.link import Link
from linkapp.models.rollup import LINK_SCOPE, DayRollup, DimensionRollup
from linkapp.services.rollups import reads as rollups
from linkapp.services.visitors.bots import BOT

# For the one statement that reads the edges of a busy owner: JIT compilation costs ~90 ms there;
# with the default 4 MB of work_mem the planner sorts (on disk) instead of hashing; and once
# psycopg prepares the statement (its sixth run on a connection), PostgreSQL may switch to a
# generic plan that does not know how short the edges are. Set for that statement only
# (set_config(..., true) lasts until the transaction ends, so the values before are put back).
_EDGE_SETTINGS = {"jit": "off", "work_mem": "64MB", "plan_cache_mode": "force_custom_plan"}
_SET_EDGE_SETTINGS = "SELECT old.*, {} FROM (SELECT {} OFFSET 0) AS old".format(
    ", ".join(f"set_config('{name}', '{value}', true)" for name, value in _EDGE_SETTINGS.items()),
    ", ".join(f"current_setting('{name}')" for name in _EDGE_SETTINGS),
)
_RESTORE_SETTINGS = "SELECT " + ", ".join(f"set_config('{name}', %({name})s, true)" for name in _EDGE_SETTINGS)


async def edge_figures(db: AsyncSession, scope: rollups.Scope, edges: tuple[tuple[datetime, datetime], ...], result: rollups.Figures, include_bots: bool) -> None:
    """Unique visitors, breakdowns and clicks per link of the edges (PostgreSQL), in two statements
    run with `_EDGE_SETTINGS`."""
    conn = await db.connection()
    previous = (await conn.exec_driver_sql(_SET_EDGE_SETTINGS)).one()
    await _edge_visitors(db, scope, edges, result)
    await _edge_counts(db, scope, edges, result, include_bots)
    await conn.exec_driver_sql(_RESTORE_SETTINGS, dict(zip(_EDGE_SETTINGS, previous[: len(_EDGE_SETTINGS)], strict=True)))


async def _edge_visitors(db: AsyncSession, scope: rollups.Scope, edges: tuple[tuple[datetime, datetime], ...], result: rollups.Figures) -> None:
    """Distinct visitors of each edge, added up (edges are different UTC days, as in `visitors`):
    from the visitor rows where they can tell, else from raw events."""
    from_rollups, edges = await rollups.edge_visitors_from_rollups(db, scope, edges)
    result.visitors += from_rollups
    if not edges:
        return
    edge = case(*((LinkEvent.clicked_at < edge_end, index) for index, (_, edge_end) in enumerate(edges[:-1])), else_=len(edges) - 1) if len(edges) > 1 else literal(0)
    within = or_(*(and_(LinkEvent.clicked_at >= edge_start, LinkEvent.clicked_at < edge_end) for edge_start, edge_end in edges))
    distinct_visitors = select(edge, rollups.visitor_key()).where(scope.event_filter(), within, LinkEvent.is_bot.is_(False)).distinct().subquery()
    result.visitors += int((await db.execute(select(func.count()).select_from(distinct_visitors))).scalar_one())


def _edge_pieces(edges: tuple[tuple[datetime, datetime], ...]) -> tuple[list[date], list[tuple[datetime, datetime, int]]]:
    """How to count the edges' clicks: UTC days to take whole from the rollups, and stretches of raw
    events to add (+1) or take away (-1). An edge longer than half its day is its whole day
    minus the rest of that day, which has fewer events to read."""
    whole_days, pieces = [], []
    for edge_start, edge_end in edges:
        day_start = rollups.midnight(edge_start.date())
        day_end = day_start + timedelta(days=1)
        if 2 * (edge_end - edge_start) > day_end - day_start:
            whole_days.append(edge_start.date())
            pieces += [(a, b, -1) for a, b in ((day_start, edge_start), (edge_end, day_end)) if a < b]
        else:
            pieces.append((edge_start, edge_end, 1))
    return whole_days, pieces


async def _edge_counts(db: AsyncSession, scope: rollups.Scope, edges: tuple[tuple[datetime, datetime], ...], result: rollups.Figures, include_bots: bool) -> None:
    """Breakdowns and (for an owner) clicks per link of the edges, in one statement, so that the
    whole days and the raw events taken away from them are read in one snapshot.

    Raw events are grouped by GROUPING SETS: source; referrer; device, browser, OS and bot reason
    together (they follow from the user agent, so there are few combinations); country; link. Each
    group carries its signed count of humans and of bots."""
    sets = [
        [("source", LinkEvent.source)],
        [("referrer", LinkEvent.referrer_host)],
        [("device", LinkEvent.device), ("browser", LinkEvent.browser), ("os", LinkEvent.os), ("bot_reason", LinkEvent.bot_reason)],
        [("country", LinkEvent.country)],
    ]
    if result.per_link is not None:
        sets.append([("link", LinkEvent.link_id)])
    names = [name for members in sets for name, _ in members]
    columns = [column for members in sets for _, column in members]
    width = len(columns)
    position, members_of = 0, {}
    for members in sets:  # grouping()'s bits of each set's columns: the last argument is bit 0
        members_of[sum(1 << (width - 1 - index) for index in range(position, position + len(members)))] = range(position, position + len(members))
        position += len(members)

    whole_days, pieces = _edge_pieces(edges)
    sign = case(*((and_(LinkEvent.clicked_at >= a, LinkEvent.clicked_at < b), weight) for a, b, weight in pieces), else_=0)
    within = or_(*(and_(LinkEvent.clicked_at >= a, LinkEvent.clicked_at < b) for a, b, _ in pieces))
    text_columns = [cast(column, String) if name == "link" else column for name, column in zip(names, columns, strict=True)]
    raw = (
        select(
            literal(0).label("kind"),
            *(column.label(f"c{index}") for index, column in enumerate(text_columns)),
            func.grouping(*columns).label("flags"),
            func.sum(case((LinkEvent.is_bot.is_(False), sign), else_=0)).label("humans"),
            func.sum(case((LinkEvent.is_bot.is_(True), sign), else_=0)).label("bots"),
        )
        .where(scope.event_filter(), within)
        .group_by(func.grouping_sets(*(tuple_(*(column for _, column in members)) for members in sets)))
    )
    parts = [raw]
    if whole_days:
        empty = [null().cast(String).label(f"c{index}") for index in range(width)]
        dims = DimensionRollup
        parts.append(
            select(
                literal(1), dims.dimension, dims.value, *empty[2:], literal(0), func.sum(dims.clicks), func.sum(dims.bots)
            )
            .where(dims.scope == scope.kind, dims.scope_id == scope.key, dims.day.in_(whole_days))
            .group_by(dims.dimension, dims.value)
        )
        if result.per_link is not None:
            days = DayRollup
            owned = select(Link.id).where(Link.owner_id == scope.key)
            parts.append(
                select(
                    literal(2), cast(days.scope_id, String), *empty[1:], literal(0), func.sum(days.clicks), func.sum(days.bots)
                )
                .where(days.scope == LINK_SCOPE, days.scope_id.in_(owned), days.day.in_(whole_days))
                .group_by(days.scope_id)
            )
    query = union_all(*parts) if len(parts) > 1 else raw
    everything = (1 << width) - 1
    for kind, *values, flags, humans, bots in (await db.execute(query)).all():
        humans, bots = int(humans or 0), int(bots or 0)
        counted = humans + bots if include_bots else humans
        if kind == 1:  # a whole day's breakdown row: (dimension, value)
            dimension, value = values[0], values[1]
            if dimension == "bot_reason":
                result.breakdowns[dimension][value] += bots
            elif dimension in result.breakdowns:
                result.breakdowns[dimension][value] += counted
            continue
        if kind == 2:  # a whole day's clicks of one link
            link_id = int(values[0])
            result.per_link[link_id] = result.per_link.get(link_id, 0) + counted
            continue
        for index in members_of[everything ^ flags]:
            name, value = names[index], values[index]
            if name == "bot_reason":
                if bots:
                    result.breakdowns[name][value or BOT] += bots
            elif name == "link":
                link_id = int(value)
                result.per_link[link_id] = result.per_link.get(link_id, 0) + counted
            else:
                result.breakdowns[name][value or rollups.EDGE_COLUMNS[name][1]] += counted
