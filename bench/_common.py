"""What every benchmark shares: settings fixed before linkapp is imported, throwaway databases,
timing statistics and a plain table printer.

Import this module before anything from `linkapp`: settings are read at import time.
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Fixed, not defaulted: a developer's .env or shell must not change what is measured.
os.environ.update(
    ENV="test",
    JWT_SECRET="bench-secret-" + "x" * 40,
    HASHID_SALT="bench-salt",
    BCRYPT_ROUNDS="4",
    HOST_URL="http://bench.local",
    # The limiter still runs on every redirect (its cost is part of the hot path); it just never refuses.
    RATE_LIMIT_REDIRECT="1000000000/minute",
    RATE_LIMIT_API="1000000000/minute",
    RATE_LIMIT_REGISTER="1000000000/minute",
    SPOOL_DIR=tempfile.mkdtemp(prefix="linkapp-bench-spool-"),
)
atexit.register(shutil.rmtree, os.environ["SPOOL_DIR"], ignore_errors=True)
for name in ("DATABASE_URL", "REDIS_URL", "GEMINI_API_KEY"):
    os.environ.pop(name, None)

PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


# --- databases ---------------------------------------------------------------------------------


def pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def async_url(url: str) -> str:
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def create_pg_database(name: str) -> str:
    """A fresh, migrated PostgreSQL database `name` (an older one of that name is dropped)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg_url(name)
    migrate(url)
    return url


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_sqlite_database() -> str:
    """A fresh, migrated SQLite file, removed when the process ends."""
    folder = tempfile.mkdtemp(prefix="linkapp-bench-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    url = f"sqlite:///{folder}/bench.db"
    migrate(url)
    return url


def migrate(url: str) -> None:
    from alembic.config import Config

    from alembic import command

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["url"] = url
    command.upgrade(config, "head")


# --- timing ------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: with few runs, p95 is simply the slowest but one or the slowest."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


class Samples:
    """Wall times in seconds of repeated runs of one thing."""

    def __init__(self) -> None:
        self.times: list[float] = []

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        return percentile(self.times, 0.95)


async def timed(fn: Callable[[], Awaitable[object]]) -> tuple[float, object]:
    start = time.perf_counter()
    result = await fn()
    return time.perf_counter() - start, result


async def alternate(runs: int, warmup: int, **contenders: Callable[[], Awaitable[object]]) -> dict[str, Samples]:
    """Run each contender `runs` times, interleaved (A B A B ...), so that load from other
    processes on the machine falls on all of them alike; `warmup` rounds are not kept."""
    samples = {name: Samples() for name in contenders}
    for round_ in range(warmup + runs):
        for name, fn in contenders.items():
            elapsed, _ = await timed(fn)
            if round_ >= warmup:
                samples[name].times.append(elapsed)
    return samples


# --- output ------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        lines.append("  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(row, widths, strict=True))))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def machine() -> str:
    import platform

    return f"{os.cpu_count()} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}"


async def make_link(username: str, url: str, *, max_clicks: int | None = None) -> str:
    """A user and one link of theirs, written straight to the configured database; the link's code.

    Args:
        username: The owner's name (the benchmark's, so a run is easy to find).
        url: The link's target.
        max_clicks: A click limit, for benchmarks of the allowance path.
    """
    from sqlalchemy import text

    from linkapp import db as database
    from linkapp.core import ids

    async with database.session() as db:
        owner = (await db.execute(text(
            "INSERT INTO users (username, username_key, password_hash, created_at) VALUES (:name, :name, 'x', CURRENT_TIMESTAMP) RETURNING id"
        ), {"name": username})).scalar_one()
        link = (await db.execute(text(
            "INSERT INTO links (owner_id, url, title, max_clicks, created_at, updated_at) "
            "VALUES (:owner, :url, 'bench', :max_clicks, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"
        ), {"owner": owner, "url": url, "max_clicks": max_clicks})).scalar_one()
        await db.commit()
    return ids.encode_link_id(link)


def get_scope(code: str, headers: list[tuple[bytes, bytes]], client: tuple[str, int]) -> dict:
    """The ASGI scope of a browser's GET of `/code`, as the server hands it to the app."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": f"/{code}",
        "raw_path": f"/{code}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench.local"), *headers],
        "client": client,
        "server": ("127.0.0.1", 8000),
    }


async def receive_nothing() -> dict:
    """An ASGI receive for a request without a body."""
    return {"type": "http.request", "body": b"", "more_body": False}
