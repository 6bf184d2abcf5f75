"""Storing clicks: enriched events, every rollup they touch and the webhook events they owe, in one transaction.

Idempotent by click id: a batch retried after an unclear failure, or replayed from the spool,
stores (and counts) each click once.

link_events has no foreign key to links (it would cost every insert a lookup per row), so the
batch checks its links once: clicks of a link deleted while they were on their way (the link, or
its owner's account) are dropped, not stored as orphans nobody can see or delete.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, date, timedelta
from operator import itemgetter

from psycopg.errors import UniqueViolation
from sqlalchemy import BigInteger, Integer, any_, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp import db as database
from linkapp.core.logs import Throttled
from linkapp.core.times import utcnow
from linkapp.models.click import Click
from linkapp.models.event import LinkEvent
from linkapp.models.link import Link
from linkapp.models.rollup import VisitorSalt
from linkapp.services.clicks.bursts import bursts
from linkapp.services.clicks.enrich import enrich
from linkapp.services.rollups import writes as rollup_writes
from linkapp.services.webhooks import outbox as webhooks

log = logging.getLogger(__name__)

# Salts of today and yesterday stay (clicks can arrive late); older ones are deleted.
SALT_DAYS = 1
_salts: dict[date, str] = {}
# Bumped by `reset`: the click writer's process (store_process) resets its copy when this moves.
generation = 0
# Clicks of deleted links are expected (a link deleted with clicks in the queue): noted, not errors.
dropped_clicks = 0  # in this process, since it started
_dropped_note = Throttled(log, 60.0)


async def salt_for(db: AsyncSession, day: date) -> str:
    """The visitor-id salt of a UTC day: random, shared through the database. Salts of past days
    are deleted by the daily maintenance (`forget_old_salts`), after which no visitor id of that
    day can be recomputed from an address."""
    if day in _salts:
        return _salts[day]
    stored = (await db.execute(select(VisitorSalt.salt).where(VisitorSalt.day == day))).scalar_one_or_none()
    if stored is None:
        insert = database.insert_for(db.bind.dialect.name, VisitorSalt)
        await db.execute(insert.values(day=day, salt=secrets.token_hex(32)).on_conflict_do_nothing(index_elements=["day"]))
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
    global generation
    generation += 1
    _salts.clear()
    bursts.reset()


async def store(batch: list[Click]) -> int:
    """Write `batch`; returns how many clicks were new (the rest were already stored)."""
    async with database.session() as db:
        days = {click.clicked_at.astimezone(UTC).date() for click in batch}
        salts = {day: await salt_for(db, day) for day in sorted(days)}
        rows = [enrich(click, salt=salts[click.clicked_at.astimezone(UTC).date()]) for click in batch]
        await bursts.flag(rows)
        rows = await _of_existing_links(db, rows)
        if not rows:
            await db.commit()
            return 0
        new_ids = await _insert_events(db, rows)
        if new_ids:
            await rollup_writes.count_events(db, _among(db, new_ids))
            # `link.clicked` for the hooks that want it, in this transaction (a row per hook and 250
            # clicks, moved into the outbox by the dispatcher; nothing without such hooks).
            await webhooks.enqueue_clicks(db, rows)
        await db.commit()
        return len(new_ids)


async def _of_existing_links(db: AsyncSession, rows: list[dict]) -> list[dict]:
    """The rows whose link still exists; the links are held until this transaction ends, so none
    of them can be deleted between this look and the commit. On PostgreSQL FOR KEY SHARE: a
    DELETE of one waits for the batch, then removes its events with the link's (edits to links
    do not wait). On SQLite the database's one write lock, taken before looking."""
    link_ids = sorted({row["link_id"] for row in rows})
    column = Link.__table__.c.id
    if db.bind.dialect.name == "postgresql":
        # One array parameter; in id order, so concurrent batches and deletes lock in one order.
        query = select(column).where(column == any_(bindparam("link_ids", link_ids, type_=ARRAY(Integer))))
        query = query.order_by(column).with_for_update(key_share=True)
    else:
        await _hold_sqlite_write_lock(db)
        query = select(column).where(column.in_(link_ids))
    existing = set((await db.execute(query)).scalars())
    if len(existing) == len(link_ids):
        return rows
    kept = [row for row in rows if row["link_id"] in existing]
    global dropped_clicks
    dropped_clicks += len(rows) - len(kept)
    _dropped_note.warning("dropped %d clicks of deleted links (%d since start): not stored", len(rows) - len(kept), dropped_clicks)
    return kept


async def _hold_sqlite_write_lock(db: AsyncSession) -> None:
    # pysqlite begins a transaction only at the first write: a SELECT before it reads outside any,
    # and another connection could delete a link between that read and the INSERT.
    connection = (await (await db.connection()).get_raw_connection()).driver_connection
    if not connection.in_transaction:  # a new salt was written: the lock is ours already
        await db.execute(text("BEGIN IMMEDIATE"))


def _among(db: AsyncSession, ids: list[int]):
    """The events with these ids, as a condition the database can answer from the primary key."""
    column = LinkEvent.__table__.c.id
    low, high = min(ids), max(ids)
    if high - low + 1 == len(ids):  # the usual case: one INSERT took consecutive ids
        return column.between(low, high)
    if db.bind.dialect.name == "postgresql":  # one array parameter instead of one per id
        return column.between(low, high) & (column == any_(bindparam("new_ids", ids, type_=ARRAY(BigInteger))))
    return column.in_(ids)


async def _insert_events(db: AsyncSession, rows: list[dict]) -> list[int]:
    """Insert the rows whose click id is not stored yet; returns the new rows' ids."""
    table = LinkEvent.__table__
    if db.bind.dialect.name == "postgresql":
        try:
            async with db.begin_nested():  # a savepoint: COPY fails as a whole on a stored click id
                return await _copy_events(db, rows)
        except UniqueViolation:  # a retried or replayed batch: insert what is new, skip the rest
            return await _insert_events_unnest(db, table, rows)
    # The table, not the model: the ORM's bulk path splits a batch by which columns are None.
    # executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs ("insertmanyvalues").
    statement = database.insert_for(db.bind.dialect.name, table).on_conflict_do_nothing(index_elements=["click_id"]).returning(table.c.id)
    return list((await db.execute(statement, rows)).scalars().all())


async def _copy_events(db: AsyncSession, rows: list[dict]) -> list[int]:
    """PostgreSQL: COPY, the fastest way in (about 2.5x an INSERT of arrays), with ids taken
    from the sequence first, because COPY returns nothing."""
    columns = list(rows[0])
    values = itemgetter(*columns)
    connection = (await (await db.connection()).get_raw_connection()).driver_connection
    async with connection.cursor() as cursor:
        await cursor.execute("SELECT nextval(pg_get_serial_sequence('link_events', 'id')) FROM generate_series(1, %s)", (len(rows),))
        ids = [row[0] for row in await cursor.fetchall()]
        async with cursor.copy(f"COPY link_events (id, {', '.join(columns)}) FROM STDIN") as copy:
            for event_id, row in zip(ids, rows, strict=True):
                await copy.write_row((event_id, *values(row)))
    return ids


async def _insert_events_unnest(db: AsyncSession, table, rows: list[dict]) -> list[int]:
    """PostgreSQL: the batch as one array per column, one statement (17 parameters, not 17,000)."""
    columns = list(rows[0])
    dialect = db.bind.dialect
    casts = ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(dialect=dialect)}[])" for name in columns)
    statement = text(
        f"INSERT INTO link_events ({', '.join(columns)}) SELECT * FROM unnest({casts}) "
        "ON CONFLICT (click_id) DO NOTHING RETURNING id"
    )
    return list((await db.execute(statement, {name: [row[name] for row in rows] for name in columns})).scalars().all())
