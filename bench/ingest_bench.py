"""Sustained ingest of click_store.store against a plain INSERT of the same rows.

Batches of live-looking clicks (now, 1,000 links of 10 owners, most clicks on a few links,
browsers and ~10% bots, repeat visitors) go through `click_store.store`: enrichment, events with
ON CONFLICT, and every rollup upsert, in one transaction. The baseline inserts the same rows,
already enriched, into link_events with one multi-row INSERT per batch (SQL text handed to the
driver, so SQLAlchemy's compiler is not what is measured) and no rollups; on PostgreSQL, COPY of
the same rows is timed too, as the ceiling. The two
alternate batch by batch in one process, on PostgreSQL and then on SQLite for reference.

A second pass times store's stages (enrichment, event insert, rollups, commit) to show where
the time goes.

    .venv/bin/python bench/ingest_bench.py --quick
    .venv/bin/python bench/ingest_bench.py --batches 100 --no-sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Self

# _common first: it fixes the settings before anything imports linkapp.
import _common
import analytics_data
from _common import ms, table

DATABASE = "linkapp_bench_ingest"
TARGET = 20_000  # clicks/s on PostgreSQL


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--batches", type=int, default=40, help="timed batches per contender and database (default 40)")
    parser.add_argument("--batch-size", type=int, default=5_000, help="clicks per batch (default 5,000, the writer's CLICK_BATCH_SIZE)")
    parser.add_argument("--links", type=int, default=1_000, help="links the clicks fall on (default 1,000)")
    parser.add_argument("--owners", type=int, default=10, help="owners of those links (default 10)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--quick", action="store_true", help="10 batches, SQLite 5: well under a minute")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE} afterwards")
    args = parser.parse_args()
    if args.quick:
        args.batches = 10
    return args


# --- data ------------------------------------------------------------------------------------------


async def make_links(count: int, owners: int) -> list[int]:
    from sqlalchemy import text

    from linkapp import db as database

    async with database.session() as db:
        owner_ids = [
            (await db.execute(text(
                "INSERT INTO users (username, username_key, password_hash, created_at) VALUES (:name, :name, 'x', CURRENT_TIMESTAMP) RETURNING id"
            ), {"name": f"ingest{n}"})).scalar_one()
            for n in range(owners)
        ]
        link_ids = [
            (await db.execute(text(
                "INSERT INTO links (owner_id, url, title, created_at, updated_at) "
                "VALUES (:owner, :url, :title, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"
            ), {"owner": owner_ids[n % owners], "url": f"https://example.com/{n}", "title": f"link {n}"})).scalar_one()
            for n in range(count)
        ]
        await db.commit()
    return link_ids


def _weighted(rng: random.Random, choices: list[tuple]) -> object:
    return rng.choices([choice[1] for choice in choices], weights=[choice[0] for choice in choices])[0]


def make_batches(link_ids: list[int], batches: int, size: int, seed: int) -> list[list]:
    """Live traffic: clicks of the last minute, as the writer would take them off the queue."""
    from linkapp.models.click import Click

    rng = random.Random(seed)
    now = datetime.now(UTC)
    referrers = {host: f"https://{host}/some/page" for _, host in analytics_data.REFERRERS if host}
    bots = [(weight, agent) for weight, agent in analytics_data.BOT_AGENTS if not agent.endswith(" HEAD")]
    result = []
    for _ in range(batches):
        batch = []
        for _ in range(size):
            bot = rng.random() < analytics_data.BOT_SHARE
            referrer = _weighted(rng, analytics_data.REFERRERS)
            batch.append(
                Click(
                    link_id=link_ids[int(len(link_ids) * rng.random() ** 2)],
                    clicked_at=now - timedelta(seconds=rng.uniform(0, 60)),
                    ip_address=f"198.51.{rng.randrange(100)}.{rng.randrange(1, 255)}",
                    user_agent=_weighted(rng, bots if bot else analytics_data.HUMAN_AGENTS),
                    referrer=referrers.get(referrer),
                    source=_weighted(rng, analytics_data.SOURCES),
                    method="HEAD" if bot and rng.random() < 0.1 else "GET",
                )
            )
        result.append(batch)
    return result


def fresh(batch: list) -> list:
    """The same clicks under new click ids (a stored click id is skipped as a duplicate)."""
    import uuid

    return [replace(click, click_id=uuid.uuid4().hex) for click in batch]


# --- contenders ------------------------------------------------------------------------------------


async def enriched_rows(batch: list) -> list[dict]:
    from linkapp import db as database
    from linkapp.services.clicks import store as click_store
    from linkapp.services.clicks.enrich import enrich

    async with database.session() as db:
        salt = await click_store.salt_for(db, batch[0].clicked_at.astimezone(UTC).date())
        await db.commit()
    return [enrich(click, salt=salt) for click in batch]


async def plain_insert(rows: list[dict]) -> None:
    """The baseline: one multi-row INSERT of ready rows, written for the driver, and one commit."""
    from linkapp import db as database

    columns = list(rows[0])
    async with database.session() as db:
        sqlite = db.bind.dialect.name == "sqlite"
        mark = "?" if sqlite else "%s"
        conn = await db.connection()
        # PostgreSQL takes at most 65,535 parameters a statement: big batches go in several.
        chunk = 65_535 // len(columns)
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            values = ", ".join(["(" + ", ".join([mark] * len(columns)) + ")"] * len(part))
            params = []
            for row in part:
                for column in columns:
                    value = row[column]
                    if sqlite and isinstance(value, datetime):  # stored as UTCDateTime stores it there
                        value = value.astimezone(UTC).replace(tzinfo=None)
                    params.append(value)
            await conn.exec_driver_sql(f"INSERT INTO link_events ({', '.join(columns)}) VALUES {values}", tuple(params))
        await db.commit()


async def copy_rows(rows: list[dict]) -> None:
    """Reference on PostgreSQL only: the same rows through COPY, the fastest way in."""
    from linkapp import db as database

    columns = list(rows[0])
    async with database.session() as db:
        conn = await db.connection()
        raw = (await conn.get_raw_connection()).driver_connection
        async with raw.cursor() as cursor, cursor.copy(f"COPY link_events ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                await copy.write_row([row[column] for column in columns])
        await db.commit()


async def rows_written() -> dict[str, int]:
    """Rows inserted plus rows updated so far, per table (PostgreSQL's statistics)."""
    from sqlalchemy import text

    from linkapp import db as database

    async with database.session() as db:
        await db.execute(text("SELECT pg_stat_force_next_flush()"))
        await db.commit()
    await asyncio.sleep(0.1)
    async with database.session() as db:
        rows = await db.execute(text(
            "SELECT relname, n_tup_ins + n_tup_upd FROM pg_stat_user_tables WHERE relname LIKE 'rollup%' OR relname = 'link_events'"
        ))
        return {name: int(count) for name, count in rows.all()}


class StageTimer:
    """Wraps store's steps (module functions looked up at call time) to time each."""

    # (module under linkapp.services, function): `store` calls each through its module's namespace.
    STAGES = (("clicks.store", "enrich"), ("clicks.store", "_insert_events"), ("rollups.writes", "count_events"))

    def __init__(self) -> None:
        import importlib

        self.seconds: dict[str, float] = defaultdict(float)
        self.originals = {}
        for module_name, name in self.STAGES:
            module = importlib.import_module(f"linkapp.services.{module_name}")
            if hasattr(module, name):
                self.originals[(module, name)] = getattr(module, name)

    def __enter__(self) -> Self:
        for (module, name), original in self.originals.items():
            setattr(module, name, self._wrap(name, original))
        return self

    def __exit__(self, *exc) -> None:
        for (module, name), original in self.originals.items():
            setattr(module, name, original)

    def _wrap(self, name, original):
        if asyncio.iscoroutinefunction(original):
            async def timed_async(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    self.seconds[name] += time.perf_counter() - start
            return timed_async

        def timed_sync(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start
        return timed_sync


async def run_database(label: str, async_url: str, args: argparse.Namespace, batches: int) -> tuple[list[list], list[str]]:
    from linkapp import db as database
    from linkapp.services.clicks import store as click_store

    await database.configure(async_url)
    # Cached salts (and burst history) belong to the previous database.
    (getattr(click_store, "reset", None) or click_store.forget_salts)()
    link_ids = await make_links(args.links, args.owners)
    clicks = make_batches(link_ids, batches + 2, args.batch_size, seed=11)
    # The baseline's rows are the same clicks, enriched beforehand, under other click ids.
    baseline_rows = [await enriched_rows(fresh(batch)) for batch in clicks]
    postgres = label == "PostgreSQL"
    copy_batches = [await enriched_rows(fresh(batch)) for batch in clicks] if postgres else []
    store_times, insert_times, copy_times = [], [], []
    for index, batch in enumerate(clicks):  # the first two rounds warm up caches and salts
        started = time.perf_counter()
        stored = await click_store.store(batch)
        store_time = time.perf_counter() - started
        assert stored == len(batch), f"{stored} of {len(batch)} clicks stored"
        started = time.perf_counter()
        await plain_insert(baseline_rows[index])
        insert_time = time.perf_counter() - started
        if postgres:
            started = time.perf_counter()
            await copy_rows(copy_batches[index])
            copy_time = time.perf_counter() - started
        if index >= 2:
            store_times.append(store_time)
            insert_times.append(insert_time)
            if postgres:
                copy_times.append(copy_time)
    clicks_timed = args.batch_size * len(store_times)
    store_rate, insert_rate = clicks_timed / sum(store_times), clicks_timed / sum(insert_times)

    # Where store's time goes: the same kind of batches again, each stage timed.
    profile = make_batches(link_ids, max(3, batches // 4), args.batch_size, seed=12)
    rows_before = await rows_written() if postgres else {}
    with StageTimer() as stages:
        started = time.perf_counter()
        for batch in profile:
            await click_store.store(batch)
        whole = time.perf_counter() - started
    rows_after = await rows_written() if postgres else {}
    per_batch = lambda seconds: ms(seconds / len(profile))
    rest = whole - sum(stages.seconds.values())
    breakdown = [
        f"{label}: store per batch of {args.batch_size:,} = {per_batch(whole)} ms: "
        + ", ".join(f"{name.strip('_')} {per_batch(seconds)}" for name, seconds in stages.seconds.items())
        + f", salts/session/commit {per_batch(rest)}"
    ]
    if postgres:
        clicks = sum(len(batch) for batch in profile)
        per_click = {table: (rows_after.get(table, 0) - rows_before.get(table, 0)) / clicks for table in rows_after}
        breakdown.append(
            f"{label}: rows inserted or updated per click: {sum(per_click.values()):.1f} = "
            + ", ".join(f"{table} {count:.2f}" for table, count in sorted(per_click.items(), key=lambda item: -item[1]))
        )
    target = f"{TARGET:,}/s" if postgres else "-"
    met = ("ok" if store_rate >= TARGET else "MISS") if postgres else "-"
    copy_rate = f"{clicks_timed / sum(copy_times):,.0f}" if postgres else "-"
    row = [label, f"{store_rate:,.0f}", ms(statistics.median(store_times)), f"{insert_rate:,.0f}",
           ms(statistics.median(insert_times)), f"{store_rate / insert_rate:.2f}x", copy_rate, target, met]
    await database.get_engine().dispose()
    return [row], breakdown


async def main() -> None:
    args = parse_args()
    print(f"ingest_bench: {_common.machine()}")
    rows, notes = [], []
    try:
        url = _common.create_pg_database(DATABASE)
        result = await run_database("PostgreSQL", _common.async_url(url), args, args.batches)
        rows += result[0]
        notes += result[1]
        if not args.no_sqlite:
            sqlite_url = _common.create_sqlite_database()
            result = await run_database("SQLite", _common.async_url(sqlite_url), args, max(5, args.batches // 2))
            rows += result[0]
            notes += result[1]
    finally:
        if not args.keep:
            _common.drop_pg_database(DATABASE)
    print()
    print(table(["database", "store clicks/s", "med ms/batch", "plain INSERT clicks/s", "med ms/batch", "store/INSERT", "COPY clicks/s", "target", "met"], rows))
    print(f"\nbatches of {args.batch_size:,} clicks on {args.links:,} links of {args.owners} owners; store, INSERT (and COPY) alternate batch by batch")
    print("\n".join(notes))


if __name__ == "__main__":
    asyncio.run(main())
