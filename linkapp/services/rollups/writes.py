"""Writing the rollups: counting stored events into them, in SQL (the writer after each batch,
the rebuild per chunk), and taking a deleted link out of them.

The database groups the new events itself (INSERT ... SELECT ... GROUP BY ... ON CONFLICT per
table; on PostgreSQL all of them in one statement that reads the events once), so a batch costs
one to five statements whatever its size, and the rule of what counts where is written once, here, for the writer and the rebuild (the analytics benchmark
loads with its own GROUP BY and first proves that it equals this).
Rows are upserted in key order, so concurrent writers lock them in the same order (no deadlocks).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import BigInteger, Integer, String, and_, case, cast, delete, func, literal, literal_column, select, text, true, union_all, update
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.db import insert_for
from linkapp.models.event import LinkEvent
from linkapp.models.link import Link
from linkapp.models.rollup import LINK_SCOPE, OWNER_SCOPE, DayRollup, DayVisitor, DimensionRollup, QuarterHourRollup
from linkapp.services.rollups.vocabulary import BOT, BREAKDOWN_COLUMNS, BUCKET_SECONDS

# The rollup tables' value column is this wide.
MAX_VALUE = 255


def _day(dialect: str, at):
    """The UTC day of a stored time (PostgreSQL keeps timestamptz, SQLite naive UTC text)."""
    return func.date(func.timezone("UTC", at)) if dialect == "postgresql" else func.date(at)


def _bucket(dialect: str, at):
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", at) / BUCKET_SECONDS), BigInteger)
    return cast(func.strftime("%s", at), Integer) / BUCKET_SECONDS


def _events(dialect: str, where):
    """The matching events with all they are counted by: link and owner, UTC day and quarter
    hour, visitor, and each breakdown's value (an empty one named as missing: "direct",
    "unknown"; a bot's reason on bots only).

    The writer drops clicks of deleted links before they get here (click_store); the join
    leaves out any event whose link is gone all the same."""
    events, links = LinkEvent.__table__, Link.__table__
    values = {name: func.coalesce(func.nullif(column, ""), missing) for name, (column, missing) in BREAKDOWN_COLUMNS.items()}
    values["bot_reason"] = case((events.c.is_bot == literal(True), func.coalesce(func.nullif(events.c.bot_reason, ""), BOT)))
    query = (
        select(
            events.c.link_id,
            links.c.owner_id,
            _day(dialect, events.c.clicked_at).label("day"),
            _bucket(dialect, events.c.clicked_at).label("bucket"),
            events.c.is_bot,
            events.c.visitor_id,
            *(cast(func.substr(value, 1, MAX_VALUE), String).label(name) for name, value in values.items()),
        )
        .select_from(events.join(links, links.c.id == events.c.link_id))
        .where(where)
    )
    # PostgreSQL counts in one statement that reads the events once, whatever reads them after.
    return query.cte("counted").prefix_with("MATERIALIZED", dialect="postgresql")


def _per_scope(source, columns: list[str]):
    """`source`'s rows once per scope they count in: their link's and its owner's."""
    return union_all(
        *(
            select(literal(scope).label("scope"), source.c[key].label("scope_id"), *(source.c[name] for name in columns))
            for scope, key in ((LINK_SCOPE, "link_id"), (OWNER_SCOPE, "owner_id"))
        )
    ).subquery()


def _tally(source, weight=None) -> tuple:
    """(humans, bots) of `source`'s rows, each row weighing `weight` (default one)."""
    weight = literal(1) if weight is None else weight
    return tuple(func.coalesce(func.sum(case((source.c.is_bot == literal(bot), weight), else_=0)), 0) for bot in (False, True))


def _dimension_rows(dialect: str, events):
    """(scope, scope_id, day, dimension, value, is_bot, clicks): the events grouped by their
    combination of values first (far fewer rows than events), then once per breakdown."""
    names = [*BREAKDOWN_COLUMNS, "bot_reason"]
    keys = [events.c.link_id, events.c.owner_id, events.c.day, events.c.is_bot, *(events.c[name] for name in names)]
    combos = select(*keys, func.count().label("clicks")).group_by(*keys).subquery("combos")
    scoped = _per_scope(combos, ["day", "is_bot", *names, "clicks"])
    head = (scoped.c.scope, scoped.c.scope_id, scoped.c.day)
    if dialect == "postgresql":
        # Two arrays unnested side by side: one row per breakdown, no CASE per row and name.
        dimension = func.unnest(pg_array([literal(name) for name in names]))
        value = func.unnest(pg_array([scoped.c[name] for name in names]), type_=String)
        return select(*head, dimension.label("dimension"), value.label("value"), scoped.c.is_bot, scoped.c.clicks).subquery("dims")
    dimensions = union_all(*(select(literal(name).label("dimension")) for name in names)).subquery("names")
    value = case(*((dimensions.c.dimension == name, scoped.c[name]) for name in names))
    return select(*head, dimensions.c.dimension, value.label("value"), scoped.c.is_bot, scoped.c.clicks).select_from(scoped.join(dimensions, true())).subquery("dims")


async def count_events(db: AsyncSession, where) -> None:
    """Add the events matching `where` (not counted before) to every rollup they belong to.

    Args:
        db: The session of the transaction that stored them.
        where: A condition on link_events, e.g. the ids just inserted.
    """
    dialect = db.bind.dialect.name
    events = _events(dialect, where)
    scoped = _per_scope(events, ["day", "bucket", "is_bot", "visitor_id"])
    quarter_hours = _upsert(dialect, QuarterHourRollup.__table__, ["scope", "scope_id", "bucket"], scoped, _tally(scoped))
    dims = _dimension_rows(dialect, events)
    dimensions = _upsert(
        dialect, DimensionRollup.__table__, ["scope", "scope_id", "day", "dimension", "value"], dims, _tally(dims, dims.c.clicks), where=dims.c.value.is_not(None)
    )
    day_keys = ["scope", "scope_id", "day"]
    if dialect == "postgresql":
        # One statement: the events are read once, and rollup_days gains its clicks and its
        # new visitors in one row write. Group in memory: the default 4 MB sorted on disk.
        await db.execute(text("SET LOCAL work_mem = '64MB'"))
        visitors = _visitor_upsert(dialect, scoped).cte("visitors")
        new = (
            select(visitors.c.scope, visitors.c.scope_id, visitors.c.day, func.count().filter(visitors.c.inserted).label("visitors"))
            .group_by(visitors.c.scope, visitors.c.scope_id, visitors.c.day)
            .subquery("new_visitors")
        )
        grouped = _grouped(dialect, scoped, day_keys, _tally(scoped)).subquery("days")
        matched = [grouped.c[key] == new.c[key] for key in day_keys]
        days = select(*(grouped.c[key] for key in day_keys), grouped.c.clicks, grouped.c.bots, func.coalesce(new.c.visitors, 0))
        days = days.select_from(grouped.outerjoin(new, and_(*matched))).order_by(*(grouped.c[key] for key in day_keys))
        days = insert_for(dialect, DayRollup.__table__).from_select([*day_keys, "clicks", "bots", "visitors"], days)
        days = _on_conflict_add(days, day_keys, ("clicks", "bots", "visitors"))
        statement = select(literal(1)).add_cte(*(part.cte(name) for name, part in (("quarter_hours", quarter_hours), ("days", days), ("dimensions", dimensions))))
        await db.execute(statement)
        return
    # SQLite: the same counts, one statement per table. Visitors first: how many of each day's
    # are new decides what rollup_days.visitors gains.
    new_visitors = await _add_visitor_rows(db, scoped)
    await db.execute(quarter_hours)
    await db.execute(_upsert(dialect, DayRollup.__table__, day_keys, scoped, _tally(scoped)))
    if new_visitors:
        await _add_visitors(db, new_visitors)
    await db.execute(dimensions)


VISITOR_KEYS = ["scope", "scope_id", "day", "visitor_id"]


def _visitors_seen(dialect: str, scoped):
    """Each (scope, day, visitor) among human clicks, with the first and last quarter hour seen."""
    keys = _sort_keys(dialect, [scoped.c[key] for key in VISITOR_KEYS])
    return (
        select(*keys, func.min(scoped.c.bucket).label("first_bucket"), func.max(scoped.c.bucket).label("last_bucket"))
        .where(scoped.c.is_bot == literal(False), scoped.c.visitor_id != "")
        .group_by(*keys)
        .order_by(*keys)
    )


def _visitor_upsert(dialect: str, scoped):
    """PostgreSQL: note each visitor, widening rows already there; returns per row whether it is new."""
    table = DayVisitor.__table__
    statement = insert_for(dialect, table).from_select([*VISITOR_KEYS, "first_bucket", "last_bucket"], _visitors_seen(dialect, scoped))
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=VISITOR_KEYS,
        # NULL stays NULL: what happened before it is not known.
        set_={"first_bucket": func.least(table.c.first_bucket, excluded.first_bucket), "last_bucket": func.greatest(table.c.last_bucket, excluded.last_bucket)},
        where=(excluded.first_bucket < table.c.first_bucket) | (excluded.last_bucket > table.c.last_bucket),
    ).returning(table.c.scope, table.c.scope_id, table.c.day, literal_column("rollup_day_visitors.xmax = 0").label("inserted"))


async def _add_visitor_rows(db: AsyncSession, scoped) -> Counter:
    """SQLite: note each (scope, day, visitor), widening rows already there; returns how many
    visitors are new per (scope, scope_id, day). RETURNING cannot tell an inserted row from an
    updated one here: insert, then widen."""
    table = DayVisitor.__table__
    seen = _visitors_seen("sqlite", scoped)
    columns = [*VISITOR_KEYS, "first_bucket", "last_bucket"]
    inserted = insert_for(db.bind.dialect.name, table).from_select(columns, seen).on_conflict_do_nothing()
    inserted = inserted.returning(table.c.scope, table.c.scope_id, table.c.day)
    new_visitors = Counter((await db.execute(inserted)).all())
    batch = seen.subquery("batch")
    matches = [table.c[key] == batch.c[key] for key in VISITOR_KEYS]
    await db.execute(
        update(table)
        .where(*matches, (batch.c.first_bucket < table.c.first_bucket) | (batch.c.last_bucket > table.c.last_bucket))
        .values(first_bucket=func.min(table.c.first_bucket, batch.c.first_bucket), last_bucket=func.max(table.c.last_bucket, batch.c.last_bucket))
    )
    return new_visitors


def _sort_keys(dialect: str, columns: list) -> list:
    """Keys to group and order by. On PostgreSQL, text compares bytewise ("C"): any fixed order
    serves to lock rows in the same order, and the database's locale order sorted 3x slower."""
    if dialect != "postgresql":
        return columns
    return [column.collate("C").label(column.key) if isinstance(column.type, String) else column for column in columns]


def _grouped(dialect: str, source, keys: list[str], counts: tuple, where=None):
    """`counts` per key of `source`, in key order (rows are locked in that order)."""
    key_columns = _sort_keys(dialect, [source.c[key] for key in keys])
    grouped = select(*key_columns, counts[0].label("clicks"), counts[1].label("bots")).group_by(*key_columns).order_by(*key_columns)
    return grouped if where is None else grouped.where(where)


def _on_conflict_add(statement, keys: list[str], names: tuple[str, ...]):
    table = statement.table
    return statement.on_conflict_do_update(index_elements=keys, set_={name: table.c[name] + statement.excluded[name] for name in names})


def _upsert(dialect: str, table, keys: list[str], source, counts: tuple, where=None):
    """INSERT the grouped counts, or add them to the rows already there."""
    insert = insert_for(dialect, table)
    return _on_conflict_add(insert.from_select([*keys, "clicks", "bots"], _grouped(dialect, source, keys, counts, where)), keys, ("clicks", "bots"))


async def _add_visitors(db: AsyncSession, new_visitors: Counter) -> None:
    """SQLite: add the new visitors to rollup_days."""
    table = DayRollup.__table__
    statement = insert_for(db.bind.dialect.name, table)
    statement = statement.on_conflict_do_update(index_elements=["scope", "scope_id", "day"], set_={"visitors": table.c.visitors + statement.excluded.visitors})
    rows = sorted(new_visitors.items())
    await db.execute(statement, [{"scope": scope, "scope_id": key, "day": day, "visitors": count} for (scope, key, day), count in rows])


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
    # Owner visitors: drop those only this link saw that day, narrow the first and last quarter
    # hour of the others to what the other links saw, then recount what is left.
    link_visitors = (await db.execute(select(DayVisitor.day, DayVisitor.visitor_id).where(link_rows(DayVisitor)))).all()
    others = select(Link.id).where(Link.owner_id == owner_id, Link.id != link_id)
    for day, visitor_id in link_visitors:
        owner_row = (owner_rows(DayVisitor), DayVisitor.day == day, DayVisitor.visitor_id == visitor_id)
        elsewhere = await db.execute(
            select(func.count(), func.min(DayVisitor.first_bucket), func.max(DayVisitor.last_bucket), func.count().filter(DayVisitor.first_bucket.is_(None))).where(
                DayVisitor.scope == LINK_SCOPE, DayVisitor.scope_id.in_(others), DayVisitor.day == day, DayVisitor.visitor_id == visitor_id
            )
        )
        seen, first, last, unknown = elsewhere.one()
        if not seen:
            await db.execute(delete(DayVisitor).where(*owner_row))
        else:
            await db.execute(update(DayVisitor).where(*owner_row).values(first_bucket=None if unknown else first, last_bucket=None if unknown else last))
    for day in {day for day, _ in link_visitors}:
        remaining = select(func.count()).select_from(DayVisitor).where(owner_rows(DayVisitor), DayVisitor.day == day).scalar_subquery()
        await db.execute(update(DayRollup).where(owner_rows(DayRollup), DayRollup.day == day).values(visitors=remaining))
    for model in (QuarterHourRollup, DayRollup, DimensionRollup, DayVisitor):
        await db.execute(delete(model).where(link_rows(model)))


async def remove_owner(db: AsyncSession, owner_id: int) -> None:
    """Drop every rollup of an owner who is going, theirs and their links' (same transaction)."""
    links = select(Link.id).where(Link.owner_id == owner_id)
    for model in (QuarterHourRollup, DayRollup, DimensionRollup, DayVisitor):
        await db.execute(delete(model).where(model.scope == LINK_SCOPE, model.scope_id.in_(links)))
        await db.execute(delete(model).where(model.scope == OWNER_SCOPE, model.scope_id == owner_id))
