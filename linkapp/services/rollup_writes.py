"""Writing the rollups: counting stored events into them, in SQL (the writer after each batch,
the rebuild per chunk), and taking a deleted link out of them.

The database groups the new events itself (one INSERT ... SELECT ... GROUP BY ... ON CONFLICT
per table), so a batch costs a handful of statements whatever its size, and the rule of what
counts where is written once, here, for the writer and the rebuild (the analytics benchmark
loads with its own GROUP BY and first proves that it equals this).
Rows are upserted in key order, so concurrent writers lock them in the same order (no deadlocks).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import BigInteger, Integer, String, case, cast, delete, func, literal, literal_column, select, text, true, union_all, update
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.models.event import LinkEvent
from linkapp.models.link import Link
from linkapp.models.rollup import LINK_SCOPE, OWNER_SCOPE, DayRollup, DayVisitor, DimensionRollup, QuarterHourRollup
from linkapp.services.rollups import BUCKET_SECONDS, EDGE_COLUMNS

# The rollup tables' value column is this wide.
MAX_VALUE = 255


def _insert(db: AsyncSession, table):
    return (sqlite_insert if db.bind.dialect.name == "sqlite" else pg_insert)(table)


def _day(dialect: str, at):
    """The UTC day of a stored time (PostgreSQL keeps timestamptz, SQLite naive UTC text)."""
    return func.date(func.timezone("UTC", at)) if dialect == "postgresql" else func.date(at)


def _bucket(dialect: str, at):
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", at) / BUCKET_SECONDS), BigInteger)
    return cast(func.strftime("%s", at), Integer) / BUCKET_SECONDS


def _scoped(dialect: str, where):
    """The matching events once per scope they count in: their link's and its owner's.

    A deleted link's late clicks match no link, so they are stored but counted nowhere."""
    events = LinkEvent.__table__
    columns = (
        _day(dialect, events.c.clicked_at).label("day"),
        _bucket(dialect, events.c.clicked_at).label("bucket"),
        events.c.is_bot,
        events.c.visitor_id,
        events.c.bot_reason,
        *(column.label(name) for name, (column, _) in EDGE_COLUMNS.items()),
    )
    joined = events.join(Link.__table__, Link.__table__.c.id == events.c.link_id)
    per_scope = [
        select(literal(scope).label("scope"), key.label("scope_id"), *columns).select_from(joined).where(where)
        for scope, key in ((LINK_SCOPE, events.c.link_id), (OWNER_SCOPE, Link.__table__.c.owner_id))
    ]
    return union_all(*per_scope).subquery("scoped")


def _counts(scoped):
    humans = func.count(case((scoped.c.is_bot == literal(False), 1)))
    bots = func.count(case((scoped.c.is_bot == literal(True), 1)))
    return humans, bots


def _dimension_rows(dialect: str, scoped):
    """(scope, scope_id, day, dimension, value, is_bot) for every breakdown an event counts in:
    an empty value counts as missing ("direct", "unknown"); bots also count by reason."""
    values = {name: func.coalesce(func.nullif(scoped.c[name], ""), missing) for name, (_, missing) in EDGE_COLUMNS.items()}
    values["bot_reason"] = case((scoped.c.is_bot == literal(True), func.coalesce(func.nullif(scoped.c.bot_reason, ""), "bot")))
    keys = (scoped.c.scope, scoped.c.scope_id, scoped.c.day)
    if dialect == "postgresql":
        # Two arrays unnested side by side: one row per breakdown, no CASE per row and name.
        dimension = func.unnest(pg_array([literal(name) for name in values]))
        value = func.unnest(pg_array([cast(expression, String) for expression in values.values()]))
        rows = select(*keys, dimension.label("dimension"), func.substr(value, 1, MAX_VALUE).label("value"), scoped.c.is_bot)
        return rows.subquery("dims")
    names = union_all(*(select(literal(name).label("dimension")) for name in values)).subquery("names")
    value = case(*((names.c.dimension == name, expression) for name, expression in values.items()))
    rows = select(*keys, names.c.dimension, func.substr(value, 1, MAX_VALUE).label("value"), scoped.c.is_bot).select_from(scoped.join(names, true()))
    return rows.subquery("dims")


async def count_events(db: AsyncSession, where) -> None:
    """Add the events matching `where` (not counted before) to every rollup they belong to.

    Args:
        db: The session of the transaction that stored them.
        where: A condition on link_events, e.g. the ids just inserted.
    """
    dialect = db.bind.dialect.name
    if dialect == "postgresql":  # group in memory: the default 4 MB made a 5,000-click batch sort on disk
        await db.execute(text("SET LOCAL work_mem = '64MB'"))
    scoped = _scoped(dialect, where)
    humans, bots = _counts(scoped)

    # Visitors first: how many of each day's are new decides what rollup_days.visitors gains.
    new_visitors = await _add_visitor_rows(db, scoped)

    await _add(db, QuarterHourRollup.__table__, ["scope", "scope_id", "bucket"], scoped, (humans, bots))
    day_keys = ["scope", "scope_id", "day"]
    await _add(db, DayRollup.__table__, day_keys, scoped, (humans, bots))
    if new_visitors:
        await _add_visitors(db, new_visitors)
    dims = _dimension_rows(dialect, scoped)
    dim_humans, dim_bots = _counts(dims)
    await _add(
        db, DimensionRollup.__table__, ["scope", "scope_id", "day", "dimension", "value"], dims, (dim_humans, dim_bots), where=dims.c.value.is_not(None)
    )


VISITOR_KEYS = ["scope", "scope_id", "day", "visitor_id"]


async def _add_visitor_rows(db: AsyncSession, scoped) -> Counter:
    """Note each (scope, day, visitor) with the first and last quarter hour seen, widening rows
    already there; returns how many visitors are new per (scope, scope_id, day)."""
    dialect = db.bind.dialect.name
    table = DayVisitor.__table__
    keys = _sort_keys(dialect, [scoped.c[key] for key in VISITOR_KEYS])
    seen = (
        select(*keys, func.min(scoped.c.bucket).label("first_bucket"), func.max(scoped.c.bucket).label("last_bucket"))
        .where(scoped.c.is_bot == literal(False), scoped.c.visitor_id != "")
        .group_by(*keys)
        .order_by(*keys)
    )
    columns = [*VISITOR_KEYS, "first_bucket", "last_bucket"]
    if dialect == "postgresql":
        statement = pg_insert(table).from_select(columns, seen)
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=VISITOR_KEYS,
            # NULL stays NULL: what happened before it is not known.
            set_={"first_bucket": func.least(table.c.first_bucket, excluded.first_bucket), "last_bucket": func.greatest(table.c.last_bucket, excluded.last_bucket)},
            where=(excluded.first_bucket < table.c.first_bucket) | (excluded.last_bucket > table.c.last_bucket),
        ).returning(table.c.scope, table.c.scope_id, table.c.day, literal_column("rollup_day_visitors.xmax = 0"))
        return Counter((scope, key, day) for scope, key, day, inserted in (await db.execute(statement)).all() if inserted)
    # SQLite's RETURNING cannot tell an inserted row from an updated one: insert, then widen.
    inserted = sqlite_insert(table).from_select(columns, seen).on_conflict_do_nothing().returning(table.c.scope, table.c.scope_id, table.c.day)
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


async def _add(db: AsyncSession, table, keys: list[str], source, counts: tuple, where=None) -> None:
    """INSERT the grouped counts, or add them to the rows already there."""
    key_columns = _sort_keys(db.bind.dialect.name, [source.c[key] for key in keys])
    grouped = select(*key_columns, *counts).group_by(*key_columns).order_by(*key_columns)
    if where is not None:
        grouped = grouped.where(where)
    statement = _insert(db, table).from_select([*keys, "clicks", "bots"], grouped)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={name: table.c[name] + statement.excluded[name] for name in ("clicks", "bots")}
    )
    await db.execute(statement)


async def _add_visitors(db: AsyncSession, new_visitors: Counter) -> None:
    table = DayRollup.__table__
    rows = sorted(new_visitors.items())
    if db.bind.dialect.name == "postgresql":  # one statement over arrays, not one per row
        await db.execute(
            text(
                "INSERT INTO rollup_days (scope, scope_id, day, visitors) "
                "SELECT * FROM unnest(CAST(:scopes AS varchar[]), CAST(:keys AS int[]), CAST(:days AS date[]), CAST(:counts AS int[])) "
                "ON CONFLICT (scope, scope_id, day) DO UPDATE SET visitors = rollup_days.visitors + EXCLUDED.visitors"
            ),
            {
                "scopes": [scope for (scope, _, _), _ in rows],
                "keys": [key for (_, key, _), _ in rows],
                "days": [day for (_, _, day), _ in rows],
                "counts": [count for _, count in rows],
            },
        )
        return
    statement = _insert(db, table)
    statement = statement.on_conflict_do_update(index_elements=["scope", "scope_id", "day"], set_={"visitors": table.c.visitors + statement.excluded.visitors})
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
