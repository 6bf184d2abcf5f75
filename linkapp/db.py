"""The async engines the app owns: states, API routes and the redirect share the app loop's;
the click writer's thread has its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from linkapp.core.config import settings

# One engine per event loop: the app's loop, and the click writer's own thread (see
# services/store_thread.py). An engine's connections belong to the loop that opened them.
_engines: dict[asyncio.AbstractEventLoop | None, tuple[AsyncEngine, async_sessionmaker[AsyncSession]]] = {}
_url: str | None = None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run while the click writer writes; busy_timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE, as on PostgreSQL
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_recycle=1800)


def insert_for(dialect: str, table):
    """An INSERT into `table` in the dialect's own flavour, which can say ON CONFLICT.

    Args:
        dialect: The engine's dialect name (`db.bind.dialect.name`): "sqlite", else PostgreSQL's.
        table: A table or model.
    """
    return (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)


def _current() -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    entry = _engines.get(loop)
    if entry is None:
        engine = make_engine(current_url())
        entry = _engines[loop] = (engine, async_sessionmaker(engine, expire_on_commit=False))
    return entry


def current_url() -> str:
    """The database URL the app points at now (see `configure`)."""
    return _url or settings.async_database_url


def get_engine() -> AsyncEngine:
    """This event loop's engine."""
    return _current()[0]


async def dispose_current() -> None:
    """Close this event loop's connections (at shutdown)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    entry = _engines.pop(loop, None)
    if entry is not None:
        await entry[0].dispose()


async def configure(url: str) -> None:
    """Point the app at another database (tests run the suite against several)."""
    global _url
    _url = url
    current = asyncio.get_running_loop()
    for loop, (engine, _) in list(_engines.items()):
        if loop is current:
            await engine.dispose()
        elif loop is not None and loop.is_running():
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(engine.dispose(), loop))
    _engines.clear()


@asynccontextmanager
async def session() -> AsyncIterator[AsyncSession]:
    async with _current()[1]() as db:
        yield db
