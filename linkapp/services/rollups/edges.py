"""The edges of a range: the partial UTC days a shifted time zone cuts from it.

Their unique visitors come from the visitor rows where those can tell (`edge_visitors_from_rollups`,
on every database). On PostgreSQL every figure of the edges is read in two statements
(`edge_figures`): visitors; breakdowns and clicks per link. Breakdowns and clicks per link of an
edge longer than half its day are its whole day from the rollups minus the rest of that day from
raw events (`_edge_counts`): fewer events to read.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import String, and_, case, cast, func, literal, null, or_, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.models.event import LinkEvent
from linkapp.models.link import Link
from linkapp.models.rollup import LINK_SCOPE, DayRollup, DayVisitor, DimensionRollup
from linkapp.services.rollups.vocabulary import BOT, BREAKDOWN_COLUMNS, BUCKET_SECONDS, Figures, Scope, midnight, visitor_key

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

# What a row of `_edge_counts`' statement counts (its first column): raw events of a group, or a
# whole day's (dimension, value) or clicks of one link from the rollups.
_RAW, _WHOLE_DAY_BREAKDOWN, _WHOLE_DAY_LINK = 0, 1, 2


async def edge_visitors_from_rollups(db: AsyncSession, scope: Scope, edges: tuple[tuple[datetime, datetime], ...]) -> tuple[int, list]:
    """Unique visitors of the edges that the visitor rows can answer, and the edges they cannot.

    An edge touches one UTC midnight: its visitors are the day's last seen at or after its start
    (an edge ending at midnight) or first seen before its end (one starting at midnight). Rows
    that do not know their first and last quarter hour, and edges that are not whole quarter
    hours, are left to raw events."""
    total, left = 0, []
    model = DayVisitor
    for edge_start, edge_end in edges:
        day = edge_start.date()
        if edge_end == midnight(day) + timedelta(days=1) and edge_start.timestamp() % BUCKET_SECONDS == 0:
            seen = model.last_bucket >= int(edge_start.timestamp()) // BUCKET_SECONDS
        elif edge_start == midnight(day) and edge_end.timestamp() % BUCKET_SECONDS == 0:
            seen = model.first_bucket < int(edge_end.timestamp()) // BUCKET_SECONDS
        else:
            left.append((edge_start, edge_end))
            continue
        query = select(func.count().filter(seen), func.count().filter(model.first_bucket.is_(None))).where(
            model.scope == scope.kind, model.scope_id == scope.key, model.day == day
        )
        counted, unknown = (await db.execute(query)).one()
        if unknown:
            left.append((edge_start, edge_end))
        else:
            total += int(counted)
    return total, left


async def edge_figures(db: AsyncSession, scope: Scope, edges: tuple[tuple[datetime, datetime], ...], result: Figures, include_bots: bool) -> None:
    """Unique visitors, breakdowns and clicks per link of the edges (PostgreSQL), in two statements
    run with `_EDGE_SETTINGS`."""
    conn = await db.connection()
    previous = (await conn.exec_driver_sql(_SET_EDGE_SETTINGS)).one()
    await _edge_visitors(db, scope, edges, result)
    await _edge_counts(db, scope, edges, result, include_bots)
    await conn.exec_driver_sql(_RESTORE_SETTINGS, dict(zip(_EDGE_SETTINGS, previous[: len(_EDGE_SETTINGS)], strict=True)))


async def _edge_visitors(db: AsyncSession, scope: Scope, edges: tuple[tuple[datetime, datetime], ...], result: Figures) -> None:
    """Distinct visitors of each edge, added up (edges are different UTC days, as in `visitors`):
    from the visitor rows where they can tell, else from raw events."""
    from_rollups, edges = await edge_visitors_from_rollups(db, scope, edges)
    result.visitors += from_rollups
    if not edges:
        return
    edge = literal(0)
    if len(edges) > 1:
        edge = case(*((LinkEvent.clicked_at < edge_end, index) for index, (_, edge_end) in enumerate(edges[:-1])), else_=len(edges) - 1)
    within = or_(*(and_(LinkEvent.clicked_at >= edge_start, LinkEvent.clicked_at < edge_end) for edge_start, edge_end in edges))
    distinct_visitors = select(edge, visitor_key()).where(scope.event_filter(), within, LinkEvent.is_bot.is_(False)).distinct().subquery()
    result.visitors += int((await db.execute(select(func.count()).select_from(distinct_visitors))).scalar_one())


def _edge_pieces(edges: tuple[tuple[datetime, datetime], ...]) -> tuple[list[date], list[tuple[datetime, datetime, int]]]:
    """How to count the edges' clicks: UTC days to take whole from the rollups, and stretches of raw
    events to add (+1) or take away (-1). An edge longer than half its day is its whole day
    minus the rest of that day, which has fewer events to read."""
    whole_days, pieces = [], []
    for edge_start, edge_end in edges:
        day_start = midnight(edge_start.date())
        day_end = day_start + timedelta(days=1)
        if 2 * (edge_end - edge_start) > day_end - day_start:
            whole_days.append(edge_start.date())
            pieces += [(a, b, -1) for a, b in ((day_start, edge_start), (edge_end, day_end)) if a < b]
        else:
            pieces.append((edge_start, edge_end, 1))
    return whole_days, pieces


async def _edge_counts(db: AsyncSession, scope: Scope, edges: tuple[tuple[datetime, datetime], ...], result: Figures, include_bots: bool) -> None:
    """Breakdowns and (for an owner) clicks per link of the edges, in one statement, so that the
    whole days and the raw events taken away from them are read in one snapshot."""
    per_link = result.per_link is not None
    groups = _grouping_sets(per_link=per_link)
    whole_days, pieces = _edge_pieces(edges)
    raw = _raw_counts(scope, groups, pieces)
    parts = [raw, *_whole_day_counts(scope, whole_days, width=len(groups.columns), per_link=per_link)]
    query = union_all(*parts) if len(parts) > 1 else raw
    _add_rows(result, groups, (await db.execute(query)).all(), include_bots)


class _GroupingSets(NamedTuple):
    """The raw events' groups, flattened into the statement's columns c0, c1, ..."""

    sets: list[list[tuple[str, object]]]  # each set's (name, event column)
    names: list[str]  # of every column, in set order
    columns: list  # the event columns, in the same order
    positions: dict[int, range]  # a row's grouping() flags -> the positions of the columns it is grouped by


def _grouping_sets(*, per_link: bool) -> _GroupingSets:
    """Source; referrer; device, browser, OS and bot reason together (they follow from the user
    agent, so there are few combinations); country; and (`per_link`) link."""
    sets = [
        [("source", LinkEvent.source)],
        [("referrer", LinkEvent.referrer_host)],
        [("device", LinkEvent.device), ("browser", LinkEvent.browser), ("os", LinkEvent.os), ("bot_reason", LinkEvent.bot_reason)],
        [("country", LinkEvent.country)],
    ]
    if per_link:
        sets.append([("link", LinkEvent.link_id)])
    names = [name for members in sets for name, _ in members]
    columns = [column for members in sets for _, column in members]
    width = len(columns)
    everything = (1 << width) - 1
    position, positions = 0, {}
    for members in sets:
        # grouping() sets a bit for each column a row is not grouped by (the last argument is bit 0):
        # a row of this set has every bit but its own columns'.
        own = sum(1 << (width - 1 - index) for index in range(position, position + len(members)))
        positions[everything ^ own] = range(position, position + len(members))
        position += len(members)
    return _GroupingSets(sets, names, columns, positions)


def _raw_counts(scope: Scope, groups: _GroupingSets, pieces: list[tuple[datetime, datetime, int]]):
    """The raw events of `pieces` by GROUPING SETS, each group with its signed count of humans and
    of bots: an event counts +1 in a stretch to add, -1 in one to take away."""
    sign = case(*((and_(LinkEvent.clicked_at >= a, LinkEvent.clicked_at < b), weight) for a, b, weight in pieces), else_=0)
    within = or_(*(and_(LinkEvent.clicked_at >= a, LinkEvent.clicked_at < b) for a, b, _ in pieces))
    # Link ids share the columns of text values once the whole days' rows are added (UNION ALL).
    text_columns = [cast(column, String) if name == "link" else column for name, column in zip(groups.names, groups.columns, strict=True)]
    return (
        select(
            literal(_RAW).label("kind"),
            *(column.label(f"c{index}") for index, column in enumerate(text_columns)),
            func.grouping(*groups.columns).label("flags"),
            func.sum(case((LinkEvent.is_bot.is_(False), sign), else_=0)).label("humans"),
            func.sum(case((LinkEvent.is_bot.is_(True), sign), else_=0)).label("bots"),
        )
        .where(scope.event_filter(), within)
        .group_by(func.grouping_sets(*(tuple_(*(column for _, column in members)) for members in groups.sets)))
    )


def _whole_day_counts(scope: Scope, whole_days: list[date], *, width: int, per_link: bool) -> list:
    """The whole days' breakdowns and (`per_link`) clicks per link from the rollups, shaped as the
    raw rows (kind, c0 ... c{width - 1}, flags, humans, bots); none without whole days."""
    if not whole_days:
        return []
    empty = [null().cast(String).label(f"c{index}") for index in range(width)]
    dims = DimensionRollup
    parts = [
        select(
            literal(_WHOLE_DAY_BREAKDOWN), dims.dimension, dims.value, *empty[2:], literal(0), func.sum(dims.clicks), func.sum(dims.bots)
        )
        .where(dims.scope == scope.kind, dims.scope_id == scope.key, dims.day.in_(whole_days))
        .group_by(dims.dimension, dims.value)
    ]
    if per_link:
        days = DayRollup
        owned = select(Link.id).where(Link.owner_id == scope.key)
        parts.append(
            select(
                literal(_WHOLE_DAY_LINK), cast(days.scope_id, String), *empty[1:], literal(0), func.sum(days.clicks), func.sum(days.bots)
            )
            .where(days.scope == LINK_SCOPE, days.scope_id.in_(owned), days.day.in_(whole_days))
            .group_by(days.scope_id)
        )
    return parts


def _add_rows(result: Figures, groups: _GroupingSets, rows, include_bots: bool) -> None:
    """Add the statement's rows to `result`: bot reasons gain bots; other breakdowns and links
    gain humans, and bots too when `include_bots`."""
    for kind, *values, flags, humans, bots in rows:
        humans, bots = int(humans or 0), int(bots or 0)
        counted = humans + bots if include_bots else humans
        if kind == _WHOLE_DAY_BREAKDOWN:
            dimension, value = values[0], values[1]
            if dimension == "bot_reason":
                result.breakdowns[dimension][value] += bots
            elif dimension in result.breakdowns:
                result.breakdowns[dimension][value] += counted
        elif kind == _WHOLE_DAY_LINK:
            _add_link_clicks(result.per_link, int(values[0]), counted)
        else:
            _add_raw_group(result, groups, values, flags, counted, bots)


def _add_raw_group(result: Figures, groups: _GroupingSets, values: list, flags: int, counted: int, bots: int) -> None:
    """Add one raw group's signed counts; its missing values named as the rollups name them."""
    for index in groups.positions[flags]:
        name, value = groups.names[index], values[index]
        if name == "bot_reason":
            if bots:
                result.breakdowns[name][value or BOT] += bots
        elif name == "link":
            _add_link_clicks(result.per_link, int(value), counted)
        else:
            result.breakdowns[name][value or BREAKDOWN_COLUMNS[name][1]] += counted


def _add_link_clicks(per_link: dict[int, int], link_id: int, clicks: int) -> None:
    per_link[link_id] = per_link.get(link_id, 0) + clicks
