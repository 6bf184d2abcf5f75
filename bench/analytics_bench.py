"""Analytics from rollups against the same figures counted from raw events, on PostgreSQL.

Creates the database `linkapp_bench` (or --database; dropped at the end unless --keep), proves
that the SQL used to build rollups in bulk equals what click_store writes, loads 1M clicks on one
link and 10M clicks over 1,000 links of another owner across 90 days, then times for a 30-day
range, in UTC and in a shifted zone:

* the app's `link_analytics` / `summary` (rollups, raw events only at a shifted range's edges),
* the baseline: total, clicks per local day, clicks by source, unique visitors (and, for all
  links, clicks per link) counted with GROUP BY on link_events in the same process.

Both sides' figures are compared before timing. Runs are interleaved, medians compared.

    .venv/bin/python bench/analytics_bench.py --quick
    .venv/bin/python bench/analytics_bench.py --keep        # full size; keep the data
    .venv/bin/python bench/analytics_bench.py --reuse --explain
    .venv/bin/python bench/analytics_bench.py --load-only --database linkapp_bench_full   # load now, measure later
    .venv/bin/python bench/analytics_bench.py --reuse --database linkapp_bench_full

`--reuse` first migrates the kept database to the latest revision, so new indexes are there.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

# _common first: it fixes the settings before anything imports linkapp.
import _common
import analytics_data
from _common import alternate, ms, table

DATABASE = "linkapp_bench"
LINK_TARGET, ALL_TARGET, RATIO_TARGET = 0.050, 0.250, 10.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--hot-clicks", type=int, default=1_000_000, help="clicks on the one busy link (default 1,000,000)")
    parser.add_argument("--clicks", type=int, default=10_000_000, help="clicks over the many links (default 10,000,000)")
    parser.add_argument("--links", type=int, default=1_000, help="links of the second owner (default 1,000)")
    parser.add_argument("--data-days", type=int, default=90, help="days of clicks, ending today (default 90)")
    parser.add_argument("--range-days", type=int, default=30, help="days in the measured range, ending yesterday (default 30)")
    parser.add_argument("--zone", default="America/New_York", help="the shifted zone measured besides UTC")
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each query (default 10, after 2 warm-ups)")
    parser.add_argument("--quick", action="store_true", help="small data (30k + 300k clicks, 100 links, 60 days), 5 runs: under a minute")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure the data already in the database (from --keep), after migrating it to head")
    parser.add_argument("--explain", action="store_true", help="per statement timings of the rollup path and EXPLAIN ANALYZE of the slowest")
    parser.add_argument("--database", default=DATABASE, help=f"the PostgreSQL database to create or reuse (default {DATABASE})")
    parser.add_argument("--load-only", action="store_true", help="load (and keep) the data, measure nothing")
    args = parser.parse_args()
    if args.quick:
        args.hot_clicks, args.clicks, args.links, args.data_days, args.runs = 30_000, 300_000, 100, 60, 5
    return args


# --- loading -------------------------------------------------------------------------------------


def load(url: str, args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET maintenance_work_mem = '1GB'")
        owners = {}
        for name in ("hot", "many"):
            owners[name] = conn.execute(
                "INSERT INTO users (username, username_key, password_hash, created_at) VALUES (%s, %s, 'x', now()) RETURNING id", (name, name)
            ).fetchone()[0]
        hot_link = conn.execute(
            "INSERT INTO links (owner_id, url, title, created_at, updated_at) VALUES (%s, 'https://example.com/hot', 'hot', now(), now()) RETURNING id",
            (owners["hot"],),
        ).fetchone()[0]
        many_links = [
            row[0]
            for row in conn.execute(
                "INSERT INTO links (owner_id, url, title, created_at, updated_at) "
                "SELECT %s, 'https://example.com/' || n, 'link ' || n, now(), now() FROM generate_series(1, %s) n RETURNING id",
                (owners["many"], args.links),
            ).fetchall()
        ]
        conn.commit()
        start, _ = analytics_data.data_window(args.data_days)
        indexes = analytics_data.event_indexes(conn)
        analytics_data.drop_indexes(conn, indexes)
        for label, links, clicks in (("hot", [hot_link], args.hot_clicks), ("many", sorted(many_links), args.clicks)):
            began = time.perf_counter()
            analytics_data.generate_events(conn, tag=label, link_ids=links, clicks=clicks, start=start, days=args.data_days)
            print(f"  {clicks:,} raw clicks on {len(links):,} link(s): {time.perf_counter() - began:.1f} s", flush=True)
        began = time.perf_counter()
        analytics_data.create_indexes(conn, indexes)
        print(f"  link_events indexes: {time.perf_counter() - began:.1f} s", flush=True)
        analytics_data.build_rollups(conn, list(owners.values()), log=lambda line: print(line, flush=True))
    with psycopg.connect(url, autocommit=True) as conn:
        began = time.perf_counter()
        conn.execute("VACUUM (ANALYZE)")
        print(f"  VACUUM ANALYZE: {time.perf_counter() - began:.1f} s", flush=True)


# --- the raw baseline -------------------------------------------------------------------------------

RAW_COUNTS = """
SELECT (e.clicked_at AT TIME ZONE :tz)::date AS day, coalesce(nullif(e.source, ''), 'direct') AS source, {link} AS link_id,
       count(*) AS clicks
FROM link_events e
WHERE {scope} AND e.clicked_at >= :start AND e.clicked_at < :end AND NOT e.is_bot
GROUP BY GROUPING SETS (((e.clicked_at AT TIME ZONE :tz)::date), (coalesce(nullif(e.source, ''), 'direct')){link_set})
"""
RAW_VISITORS = """
SELECT count(DISTINCT e.visitor_id) FROM link_events e
WHERE {scope} AND e.clicked_at >= :start AND e.clicked_at < :end AND NOT e.is_bot AND e.visitor_id <> ''
"""


async def raw_figures(db, *, link_id: int | None, owner_id: int | None, days) -> dict:
    """Total, clicks per local day, by source, unique visitors (and per link) straight from link_events."""
    from sqlalchemy import text

    from linkapp.core import ids

    if link_id is not None:
        scope, link, link_set, params = "e.link_id = :key", "NULL::int", "", {"key": link_id}
    else:
        scope, link, link_set, params = "e.link_id IN (SELECT id FROM links WHERE owner_id = :key)", "e.link_id", ", (e.link_id)", {"key": owner_id}
    params |= {"tz": days.tz.key, "start": days.utc_start, "end": days.utc_end}
    rows = (await db.execute(text(RAW_COUNTS.format(scope=scope, link=link, link_set=link_set)), params)).all()
    per_day, by_source, per_link = Counter(), Counter(), Counter()
    for day, source, link_key, clicks in rows:
        if day is not None:
            per_day[day] += clicks
        elif source is not None:
            by_source[source] += clicks
        else:
            per_link[ids.encode_link_id(link_key)] += clicks
    visitors = (await db.execute(text(RAW_VISITORS.format(scope=scope)), params)).scalar_one()
    figures = {
        "total_clicks": sum(per_day.values()),
        "unique_visitors": visitors,
        "clicks_per_day": [{"day": day.isoformat(), "clicks": per_day.get(day, 0)} for day in days.days()],
        "by_source": dict(by_source),
    }
    if owner_id is not None:
        figures["links"] = dict(per_link)
    return figures


def comparable(figures: dict) -> dict:
    """The figures both sides compute, in one shape."""
    shape = {key: figures[key] for key in ("total_clicks", "unique_visitors", "clicks_per_day")}
    shape["by_source"] = figures.get("by_source") or {row["source"]: row["clicks"] for row in figures["clicks_by_source"]}
    if "links" in figures:
        links = figures["links"]
        shape["links"] = {key: value for key, value in (links.items() if isinstance(links, dict) else ((row["id"], row["total_clicks"]) for row in links)) if value}
    return shape


# --- statement timings ----------------------------------------------------------------------------


class StatementLog:
    """Times every statement the engine runs while `active`."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.active = False
        self.entries: list[tuple[float, str, object]] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self.entries.append((time.perf_counter() - conn.info.pop("bench_started"), statement, parameters))


async def explain(db_factory, log: StatementLog, run) -> list[str]:
    log.entries.clear()
    log.active = True
    await run()
    log.active = False
    entries = sorted(log.entries, key=lambda entry: -entry[0])
    lines = [f"    {seconds * 1000:7.1f} ms  {' '.join(statement.split())[:150]}" for seconds, statement, _ in entries[:6]]
    lines.append(f"    ({len(entries)} statements, {sum(entry[0] for entry in entries) * 1000:.1f} ms in the database driver)")
    _, statement, parameters = entries[0]
    # The rollup path sets jit, work_mem ... (set_config) just before its edge statement: same here.
    slowest = log.entries.index(entries[0])
    before = log.entries[slowest - 1] if slowest else None
    async with db_factory() as db:
        conn = await db.connection()
        if before is not None and "set_config(" in before[1]:
            await conn.exec_driver_sql(before[1], before[2])
        plan = (await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, SETTINGS) " + statement, parameters)).all()
    lines += ["    EXPLAIN ANALYZE of the slowest:"] + [f"      {row[0]}" for row in plan]
    return lines


# --- measuring -------------------------------------------------------------------------------------


async def measure(url: str, args: argparse.Namespace) -> None:
    from sqlalchemy import text

    from linkapp import db as database
    from linkapp.core import ids
    from linkapp.services.analytics import figures as analytics

    async with database.session() as db:
        owners = dict((await db.execute(text("SELECT username, id FROM users WHERE username IN ('hot', 'many')"))).all())
        links = (await db.execute(text(
            "SELECT k.id, count(e.id) FROM links k LEFT JOIN link_events e ON e.link_id = k.id WHERE k.owner_id = :owner GROUP BY k.id ORDER BY 2 DESC"
        ), {"owner": owners["many"]})).all()
        hot_link, hot_clicks = (await db.execute(text(
            "SELECT k.id, count(*) FROM links k JOIN link_events e ON e.link_id = k.id WHERE k.owner_id = :owner GROUP BY k.id"
        ), {"owner": owners["hot"]})).one()
        total = sum(count for _, count in links)
    typical_link, typical_clicks = links[len(links) // 2]
    log = StatementLog(database.get_engine())
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    cases = [
        (f"one link, {hot_clicks:,} clicks", "link", owners["hot"], hot_link, LINK_TARGET),
        (f"one link, {typical_clicks:,} clicks (median link)", "link", owners["many"], typical_link, LINK_TARGET),
        (f"all links, {len(links):,} links, {total:,} clicks", "all", owners["many"], None, ALL_TARGET),
    ]
    rows, missed, notes = [], [], []
    for zone in ("UTC", args.zone):
        days = analytics.day_range(yesterday - timedelta(days=args.range_days - 1), yesterday, zone)
        for label, kind, owner, link_id, target in cases:
            async def rollup(owner=owner, link_id=link_id, kind=kind, days=days):
                async with database.session() as db:
                    if kind == "link":
                        return await analytics.link_analytics(db=db, owner_id=owner, public_id=ids.encode_link_id(link_id), days=days)
                    return await analytics.summary(db=db, owner_id=owner, days=days)

            async def raw(owner=owner, link_id=link_id, kind=kind, days=days):
                async with database.session() as db:
                    return await raw_figures(db, link_id=link_id if kind == "link" else None, owner_id=owner if kind == "all" else None, days=days)

            same = comparable(await rollup()) == comparable(await raw())
            samples = await alternate(args.runs, 2, rollup=rollup, raw=raw)
            fast, slow = samples["rollup"], samples["raw"]
            ratio = slow.median / fast.median
            ok = fast.median <= target and ratio >= RATIO_TARGET
            rows.append([label, zone, ms(fast.median), ms(fast.p95), ms(slow.median), ms(slow.p95), f"{ratio:.1f}x", f"{target * 1000:.0f} ms", "ok" if ok else "MISS", "yes" if same else "NO"])
            print(f"  {label} [{zone}]: rollups {ms(fast.median)} ms, raw {ms(slow.median)} ms", flush=True)
            if args.explain or not ok:
                notes.append(f"  {label} [{zone}] rollup path, statement by statement:")
                notes += await explain(database.session, log, rollup)
            if not ok:
                missed.append(f"{label} [{zone}]")
    print()
    print(table(["case", "zone", "rollups med ms", "p95", "raw med ms", "p95", "raw/rollups", "target", "met", "same figures"], rows))
    print(f"\n{args.range_days} days ending {yesterday}; {args.runs} runs each after 2 warm-ups, interleaved; "
          f"targets: median within target and raw/rollups >= {RATIO_TARGET:.0f}x")
    if notes:
        print("\nWhere the time goes:")
        print("\n".join(notes))
    if missed:
        print("\nMissed: " + "; ".join(missed))


async def main() -> None:
    args = parse_args()
    from linkapp import db as database

    print(f"analytics_bench: {_common.machine()}")
    url = _common.pg_url(args.database)
    args.keep |= args.load_only
    try:
        if args.reuse:
            _common.migrate(url)  # a kept database gains any later revision (indexes)
        else:
            began = time.perf_counter()
            url = _common.create_pg_database(args.database)
            await database.configure(_common.async_url(url))
            same, lines = await analytics_data.check_rollups()
            print("SQL rollups against click_store.store (1,000 sample clicks, 2 links):")
            print("\n".join("  " + line for line in lines))
            if not same:
                raise SystemExit("the bulk rollup SQL does not match click_store: figures would be wrong")
            print(f"Loading ({args.hot_clicks:,} + {args.clicks:,} clicks, {args.data_days} days):", flush=True)
            load(url, args)
            print(f"  loaded in {time.perf_counter() - began:.0f} s", flush=True)
        if not args.load_only:
            await database.configure(_common.async_url(url))
            await measure(url, args)
    finally:
        await database.get_engine().dispose()
        if not args.keep and not args.reuse:
            _common.drop_pg_database(args.database)


if __name__ == "__main__":
    asyncio.run(main())
