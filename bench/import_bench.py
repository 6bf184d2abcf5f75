"""A 100,000-row link import on PostgreSQL against COPY of the same links.

One CSV file in our own export's columns (half the rows with a short code, titles with commas,
one to three tags, some with an expiry or a click limit, 1% of them bad: a `javascript:` URL, a
reserved code, a bad tag) goes through what `POST /api/v1/links/import` runs: `read_import_file`
(the check before the 202) and the job itself (`imports.create_job` + `imports.run_job`), batches
of 1,000 rows in one transaction each. A ticker on the same event loop measures how long the
loop was held at a time while the import ran (the redirect shares that loop), and for
comparison while the loop was idle.

The baseline writes the same links, already checked, with COPY into `links` and `link_tags`:
no rules, no lookups, one transaction, the fastest way in. Import and COPY alternate run by
run; the table is emptied between runs.

    .venv/bin/python bench/import_bench.py --quick
    .venv/bin/python bench/import_bench.py --rows 100000 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import statistics
import time

# _common first: it fixes the settings before anything imports linkapp.
import _common
from _common import ms, table

DATABASE = "linkapp_bench_import"
TARGET_SECONDS = 60.0  # for 100,000 rows
COLUMNS = ["id", "short_url", "url", "title", "slug", "tags", "created_at", "expires_at", "max_clicks", "total_clicks"]
WORDS = "spring sale launch docs guide news blog promo event video shop help api report summer winter".split()


def parse_args() -> argparse.Namespace:
    description, epilog = __doc__.split("\n\n", 1)
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog)
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file (default 100,000, the most an import takes)")
    parser.add_argument("--runs", type=int, default=2, help="timed runs of each contender (default 2)")
    parser.add_argument("--quick", action="store_true", help="20,000 rows, one run each")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE} afterwards")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.runs = 20_000, 1
    return args


def make_file(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for n in range(rows):
        words = rng.sample(WORDS, 3)
        url = f"https://{rng.choice(['example.com', 'shop.example.org', 'docs.example.net'])}/{words[0]}/{n}?utm_source={words[1]}"
        title = f"{words[0].title()} {words[1]}, part {n}" if rng.random() < 0.9 else ""
        slug = f"{words[2]}-{n}" if n % 2 == 0 else ""
        tags = ", ".join(rng.sample(WORDS, rng.randint(1, 3)))
        expires = "2099-01-01T00:00:00Z" if rng.random() < 0.1 else ""
        max_clicks = str(rng.randint(1, 1000)) if rng.random() < 0.1 else ""
        if n % 100 == 50:  # 1% bad rows, three kinds
            url, slug, tags = [("javascript:alert(1)", slug, tags), ("https://example.com/r", "login", tags), (url, slug, "a&b")][n // 100 % 3]
        writer.writerow(["", "", url, title, slug, tags, "2025-01-01T00:00:00Z", expires, max_clicks, "0"])
    return buffer.getvalue().encode()


async def new_owner(name: str) -> int:
    from sqlalchemy import text

    from linkapp import db as database

    async with database.session() as db:
        owner = (await db.execute(text(
            "INSERT INTO users (username, username_key, password_hash, created_at) VALUES (:name, :name, 'x', CURRENT_TIMESTAMP) RETURNING id"
        ), {"name": name})).scalar_one()
        await db.commit()
    return owner


async def empty_links() -> None:
    from sqlalchemy import text

    from linkapp import db as database

    async with database.session() as db:
        await db.execute(text("TRUNCATE link_tags, links RESTART IDENTITY CASCADE"))
        await db.execute(text("DELETE FROM import_jobs"))
        await db.commit()


class LoopWatch:
    """How long the event loop was held at a time: a task that asks for 5 ms sleeps and
    records how late each one ends."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task | None = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(0.005)
            self.lags.append(loop.time() - started - 0.005)

    def __enter__(self) -> LoopWatch:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *_exc) -> None:
        self._task.cancel()


async def run_import(data: bytes, owner: int) -> tuple[float, float, object, LoopWatch]:
    """The import as the API runs it; (seconds before the 202, seconds of the job, job, loop watch)."""
    import anyio

    from linkapp import db as database
    from linkapp.services.links import imports
    from linkapp.services.links.import_rows import read_import_file

    with LoopWatch() as watch:
        started = time.perf_counter()
        checked = await anyio.to_thread.run_sync(read_import_file, data)
        async with database.session() as db:
            job = await imports.create_job(db=db, owner_id=owner, file=checked, mode="skip")
        accepted = time.perf_counter() - started
        result = await imports.run_job(job.id, checked)
        total = time.perf_counter() - started
    return accepted, total, result, watch


def checked_links(data: bytes) -> list:
    from linkapp.core.times import utcnow
    from linkapp.services.links.import_rows import ValidLink, check_row, read_import_file

    now = utcnow()
    return [row for batch in read_import_file(data).batches(1_000) for row in (check_row(raw, now=now) for raw in batch) if isinstance(row, ValidLink)]


async def run_copy(rows: list, owner: int) -> float:
    """The same links through COPY (and their tags), in one transaction; seconds."""
    from linkapp import db as database

    columns = ["owner_id", "url", "title", "slug", "slug_key", "expires_at", "max_clicks", "created_at", "updated_at"]
    started = time.perf_counter()
    async with database.session() as db:
        conn = await db.connection()
        raw = (await conn.get_raw_connection()).driver_connection
        async with raw.cursor() as cursor:
            first = (await (await cursor.execute("SELECT nextval(pg_get_serial_sequence('links', 'id'))")).fetchone())[0]
            await cursor.execute("SELECT setval(pg_get_serial_sequence('links', 'id'), %s)", (first + len(rows),))
            async with cursor.copy(f"COPY links (id, {', '.join(columns)}) FROM STDIN") as copy:
                for offset, row in enumerate(rows):
                    slug_key = row.slug.lower() if row.slug else None
                    values = [row.url, row.title, row.slug, slug_key, row.expires_at, row.max_clicks, row.created_at, row.created_at]
                    await copy.write_row([first + offset, owner, *values])
            async with cursor.copy("COPY link_tags (link_id, tag) FROM STDIN") as copy:
                for offset, row in enumerate(rows):
                    for tag in row.tags or ():
                        await copy.write_row([first + offset, tag])
        await db.commit()
    return time.perf_counter() - started


async def main() -> None:
    args = parse_args()
    print(f"import_bench: {_common.machine()}")
    from linkapp import db as database

    data = make_file(args.rows)
    rows = checked_links(data)
    print(f"file: {args.rows:,} rows, {len(data) / 2**20:.1f} MiB, {args.rows - len(rows):,} bad rows")
    imports_, copies = [], []
    with LoopWatch() as idle:  # what the machine alone does to the loop's timing, for comparison
        await asyncio.sleep(5)
    try:
        url = _common.create_pg_database(DATABASE)
        await database.configure(_common.async_url(url))
        owner = await new_owner("importer")
        for _ in range(args.runs):
            accepted, total, job, watch = await run_import(data, owner)
            assert job.status == "done" and job.created == len(rows) and job.failed == args.rows - len(rows), job
            imports_.append((accepted, total, watch))
            await empty_links()
            copies.append(await run_copy(rows, owner))
            await empty_links()
    finally:
        await database.dispose_current()
        if not args.keep:
            _common.drop_pg_database(DATABASE)

    import_s = statistics.median(total for _, total, _ in imports_)
    copy_s = statistics.median(copies)
    lags = sorted(lag for _, _, watch in imports_ for lag in watch.lags)
    target = TARGET_SECONDS * args.rows / 100_000
    met = "yes" if import_s <= target else "NO"
    print()
    print(table(
        ["contender", "seconds (median)", "rows/s", "vs COPY", "target", "met"],
        [
            ["import job (check + batches of 1,000)", f"{import_s:.1f}", f"{args.rows / import_s:,.0f}", f"{copy_s / import_s:.2f}x", f"≤ {target:.0f} s", met],
            ["COPY of the checked links", f"{copy_s:.1f}", f"{len(rows) / copy_s:,.0f}", "1.00x", "-", "-"],
        ],
    ))
    print(f"\nbefore the 202 (read, count, job row): {ms(statistics.median(accepted for accepted, _, _ in imports_))} ms")
    for label, values in (("event loop held during the import:", lags), ("the same loop idle for 5 s before:", sorted(idle.lags))):
        print(f"{label:35} median {ms(statistics.median(values))} ms, p99 {ms(_common.percentile(values, 0.99))} ms, longest {ms(values[-1])} ms")


if __name__ == "__main__":
    asyncio.run(main())
