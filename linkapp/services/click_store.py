"""Storing clicks: enriched events and every rollup they touch, in one transaction.

Idempotent by click id: a batch retried after an unclear failure, or replayed from the spool,
stores (and counts) each click once.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp import db as database
from linkapp.core.times import utcnow
from linkapp.models.click import Click
from linkapp.models.event import LinkEvent
from linkapp.models.link import Link
from linkapp.models.rollup import LINK_SCOPE, OWNER_SCOPE, DayRollup, DayVisitor, DimensionRollup, QuarterHourRollup, VisitorSalt
from linkapp.services.enrich import BurstDetector, enrich
from linkapp.services.rollups import BUCKET_SECONDS, EDGE_COLUMNS

# Salts of today and yesterday stay (clicks can arrive late); older ones are deleted.
SALT_DAYS = 1
_salts: dict[date, str] = {}
# One detector for the process: bursts are seen across batches. The limit is high on purpose:
# an office behind one address with one browser version looks like a single visitor.
_bursts = BurstDetector(limit=20, window=10.0)


def _insert(db: AsyncSession, model):
    return (sqlite_insert if db.bind.dialect.name == "sqlite" else pg_insert)(model)


async def salt_for(db: AsyncSession, day: date) -> str:
    """The visitor-id salt of a UTC day: random, shared through the database. Salts of past days
    are deleted by the daily maintenance (`forget_old_salts`), after which no visitor id of that
    day can be recomputed from an address."""
    if day in _salts:
        return _salts[day]
    stored = (await db.execute(select(VisitorSalt.salt).where(VisitorSalt.day == day))).scalar_one_or_none()
    if stored is None:
        await db.execute(_insert(db, VisitorSalt).values(day=day, salt=secrets.token_hex(32)).on_conflict_do_nothing(index_elements=["day"]))
        stored = (await db.execute(select(VisitorSalt.salt).where(VisitorSalt.day == day))).scalar_one()
    if day >= utcnow().date() - timedelta(days=SALT_DAYS):  # cache only the salts still in use
        _salts[day] = stored
    return stored


async def forget_old_salts(db: AsyncSession) -> None:
    """Delete the salts of days before yesterday, here and in the database."""
    cutoff = utcnow().date() - timedelta(days=SALT_DAYS)
    await db.execute(delete(VisitorSalt).where(VisitorSalt.day < cutoff))
    for day in [day for day in _salts if day < cutoff]:
        del _salts[day]


def reset() -> None:
    """Forget cached salts and the burst history (tests, or after restoring a database)."""
    global _bursts
    _salts.clear()
    _bursts = BurstDetector(limit=_bursts.limit, window=_bursts.window)


def dimension_values(row: dict) -> Iterable[tuple[str, str]]:
    """The breakdowns one stored click counts in, named as the edge-day queries name them."""
    for name, (column, missing) in EDGE_COLUMNS.items():
        yield name, row[column.key] or missing
    if row["is_bot"]:
        yield "bot_reason", row["bot_reason"] or "bot"


async def store(batch: list[Click]) -> int:
    """Write `batch`; returns how many clicks were new (the rest were already stored)."""
    async with database.session() as db:
        days = {click.clicked_at.astimezone(UTC).date() for click in batch}
        salts = {day: await salt_for(db, day) for day in sorted(days)}
        rows = [enrich(click, salt=salts[click.clicked_at.astimezone(UTC).date()], bursts=_bursts) for click in batch]
        inserted = await _insert_events(db, rows)
        if inserted:
            await add_to_rollups(db, inserted)
        await db.commit()
        return len(inserted)


async def _insert_events(db: AsyncSession, rows: list[dict]) -> list[dict]:
    # The table, not the model: the ORM's bulk path splits a batch by which columns are None.
    # executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs ("insertmanyvalues").
    table = LinkEvent.__table__
    statement = _insert(db, table).on_conflict_do_nothing(index_elements=["click_id"]).returning(table.c.click_id)
    new_ids = set((await db.execute(statement, rows)).scalars().all())
    return [row for row in rows if row["click_id"] in new_ids]


async def _upsert(db: AsyncSession, model, keys: list[str], rows: list[dict], counters: list[str]) -> None:
    """One multi-row INSERT ... ON CONFLICT DO UPDATE adding to the counters (per chunk)."""
    if not rows:
        return
    rows.sort(key=lambda row: tuple(row[key] for key in keys))  # one lock order: no deadlocks
    table = model.__table__
    if db.bind.dialect.name == "postgresql":
        await _upsert_unnest(db, table, keys, rows, counters)
        return
    statement = _insert(db, table)
    statement = statement.on_conflict_do_update(index_elements=keys, set_={name: table.c[name] + statement.excluded[name] for name in counters})
    await db.execute(statement, rows)


PG_ARRAY_TYPES = {"scope": "varchar[]", "scope_id": "int[]", "bucket": "bigint[]", "day": "date[]", "dimension": "varchar[]", "value": "varchar[]"}


async def _upsert_unnest(db: AsyncSession, table, keys: list[str], rows: list[dict], counters: list[str]) -> None:
    """PostgreSQL: the whole batch as one statement over arrays, instead of a statement per row."""
    columns = [*keys, *counters]
    arrays = {f"a{n}": [row[column] for row in rows] for n, column in enumerate(columns)}
    casts = ", ".join(f"CAST(:a{n} AS {PG_ARRAY_TYPES.get(column, 'int[]')})" for n, column in enumerate(columns))
    updates = ", ".join(f"{name} = {table.name}.{name} + EXCLUDED.{name}" for name in counters)
    await db.execute(
        text(
            f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({casts}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        ),
        arrays,
    )


async def _owners(db: AsyncSession, link_ids: set[int]) -> dict[int, int]:
    rows = await db.execute(select(Link.id, Link.owner_id).where(Link.id.in_(sorted(link_ids))))
    return dict(rows.all())


async def add_to_rollups(db: AsyncSession, rows: list[dict]) -> None:
    """Count stored event rows into the link's and the owner's rollups (a deleted link's
    late clicks are stored but counted nowhere)."""
    owners = await _owners(db, {row["link_id"] for row in rows})
    quarters: Counter[tuple] = Counter()
    days: Counter[tuple] = Counter()
    dims: Counter[tuple] = Counter()
    visitors: set[tuple] = set()
    for row in rows:
        if row["link_id"] not in owners:
            continue
        at = row["clicked_at"].astimezone(UTC)
        day, bot = at.date(), bool(row["is_bot"])
        bucket = int(at.timestamp()) // BUCKET_SECONDS
        for scope in ((LINK_SCOPE, row["link_id"]), (OWNER_SCOPE, owners[row["link_id"]])):
            quarters[(*scope, bucket, bot)] += 1
            days[(*scope, day, bot)] += 1
            for dimension, value in dimension_values(row):
                dims[(*scope, day, dimension, value[:255], bot)] += 1
            if not bot and row["visitor_id"]:
                visitors.add((*scope, day, row["visitor_id"]))

    new_visitors: Counter[tuple] = Counter()
    if visitors:
        table = DayVisitor.__table__
        params = [{"scope": scope, "scope_id": key, "day": day, "visitor_id": vid} for scope, key, day, vid in sorted(visitors)]
        statement = _insert(db, table).on_conflict_do_nothing().returning(table.c.scope, table.c.scope_id, table.c.day)
        for scope, key, day in (await db.execute(statement, params)).all():
            new_visitors[(scope, key, day)] += 1

    def merged(counter: Counter, names: list[str]) -> list[dict]:
        # Keys end with the bot flag: fold it into `clicks` and `bots` columns.
        rows_by_key: dict[tuple, dict] = {}
        for key, count in counter.items():
            entry = rows_by_key.setdefault(key[:-1], {**dict(zip(names, key[:-1], strict=True)), "clicks": 0, "bots": 0})
            entry["bots" if key[-1] else "clicks"] += count
        return list(rows_by_key.values())

    await _upsert(db, QuarterHourRollup, ["scope", "scope_id", "bucket"], merged(quarters, ["scope", "scope_id", "bucket"]), ["clicks", "bots"])
    day_rows = merged(days, ["scope", "scope_id", "day"])
    for row in day_rows:
        row["visitors"] = new_visitors.get((row["scope"], row["scope_id"], row["day"]), 0)
    await _upsert(db, DayRollup, ["scope", "scope_id", "day"], day_rows, ["clicks", "bots", "visitors"])
    dim_keys = ["scope", "scope_id", "day", "dimension", "value"]
    await _upsert(db, DimensionRollup, dim_keys, merged(dims, dim_keys), ["clicks", "bots"])
