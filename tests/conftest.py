"""Test set-up: every database test runs on SQLite and on the real PostgreSQL.

Each backend gets a fresh database for the run (a new file; a new PostgreSQL database that is
dropped afterwards), migrated with Alembic. Tables are emptied after every test.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from pathlib import Path

# Settings are read at import time: fix them before linkapp is imported anywhere.
os.environ.update(
    ENV="test",
    JWT_SECRET="test-secret-" + "x" * 40,
    HASHID_SALT="test-salt",
    BCRYPT_ROUNDS="4",
    HOST_URL="http://testserver",
    RATE_LIMIT_LOGIN="1000/minute",
    RATE_LIMIT_LOGIN_ACCOUNT="100000/hour",
    RATE_LIMIT_REGISTER="1000/minute",
    RATE_LIMIT_API="100000/minute",
    RATE_LIMIT_REDIRECT="100000/minute",
    CLICK_FLUSH_INTERVAL="0.01",
    # Never replay a developer's leftover ./spool into a test database.
    SPOOL_DIR=tempfile.mkdtemp(prefix="linkapp-test-spool-"),
)
os.environ.pop("DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)
os.environ.pop("GEMINI_API_KEY", None)

import httpx  # noqa: E402
import psycopg  # noqa: E402
import pytest  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import text  # noqa: E402

from alembic import command  # noqa: E402
from linkapp import db as database  # noqa: E402
from linkapp.core import ratelimit  # noqa: E402
from linkapp.services.clicks import store as click_store  # noqa: E402
from linkapp.services.clicks.recorder import recorder  # noqa: E402
from linkapp.services.links import redirects  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TABLES = (
    "link_events", "link_tags", "refresh_tokens", "api_keys", "links", "users",
    "rollup_quarter_hours", "rollup_days", "rollup_day_dimensions", "rollup_day_visitors", "visitor_salts",
    "audit_events", "import_jobs", "webhook_deliveries", "webhook_click_batches",
)


def pytest_collection_modifyitems(items):
    """Browser tests late: they need the compiled app, and a failure elsewhere shows sooner. Tests
    that start their own app from the checkout (marker `own_build`, and the deployed stack's) last
    of all: each builds the checkout's frontend for its own address, which would pull it from
    under the shared `prod_server` (they all serve one `.web`)."""
    e2e = [item for item in items if "/tests/e2e/" in str(item.path)]
    for item in e2e:
        item.add_marker(pytest.mark.e2e)
    own = [item for item in items if item.get_closest_marker("own_build") or item.get_closest_marker("stack")]
    own.sort(key=lambda item: item not in e2e)  # the browser ones first, while Chromium is up
    items[:] = [item for item in items if item not in e2e and item not in own] + [item for item in e2e if item not in own] + own


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["url"] = url
    return config


def _postgres_available() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"no PostgreSQL answers at {PG_ADMIN_URL}: {exc.__class__.__name__}"


class TempDatabases:
    """Creates fresh databases for one test run and removes them afterwards."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="linkapp-test-"))
        self.pg_names: list[str] = []

    def sqlite(self) -> str:
        return f"sqlite:///{self.tmp / f'{uuid.uuid4().hex}.db'}"

    def postgresql(self) -> str:
        reason = _postgres_available()
        if reason:
            pytest.skip(reason)
        name = f"linkapp_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.pg_names.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def cleanup(self) -> None:
        if self.pg_names and not _postgres_available():
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                for name in self.pg_names:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def temp_databases():
    dbs = TempDatabases()
    yield dbs
    dbs.cleanup()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, temp_databases) -> str:
    """A migrated database of each kind, fresh for this run."""
    url = getattr(temp_databases, request.param)()
    command.upgrade(alembic_config(url), "head")
    return url


def async_url(url: str) -> str:
    from linkapp.core.config import normalize_database_url

    url = normalize_database_url(url)
    return url.replace("sqlite://", "sqlite+aiosqlite://", 1)


@pytest.fixture
async def db_engine(database_url):
    """Points the app at the database under test; empties every table afterwards."""
    await database.configure(async_url(database_url))
    redirects.cache.clear()
    redirects.allowance.clear()
    click_store.reset()
    await ratelimit.reset()
    recorder.start()
    yield database.get_engine()
    await recorder.flush()
    async with database.get_engine().begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TABLES:
                await conn.execute(text(f"DELETE FROM {table}"))
    redirects.cache.clear()
    redirects.allowance.clear()


@pytest.fixture
async def db(db_engine):
    async with database.session() as session:
        yield session


@pytest.fixture(scope="session")
def fake_gemini():
    """A local server speaking Gemini's REST protocol (no test ever reaches Google)."""
    from tests.fake_gemini import FakeGemini

    fake = FakeGemini().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def prod_server(temp_databases, tmp_path_factory, fake_gemini):
    """The compiled production app (`reflex run --env prod --single-port`), built once per run,
    with AI insights pointed at the local fake Gemini."""
    from tests.geo_data import SAMPLE_NETWORKS, build_mmdb
    from tests.live import start_server

    folder = tmp_path_factory.mktemp("prod")
    # LINKAPP_E2E_WORKERS=1: the whole browser suite as production runs with Redis (PostgreSQL,
    # several workers); tests/e2e/test_several_workers.py does that for a few in every run.
    with contextlib.ExitStack() as stack:
        workers = {}
        if os.environ.get("LINKAPP_E2E_WORKERS"):
            from tests import redis_server

            if redis_server.missing():
                pytest.skip(redis_server.missing())
            workers = stack.enter_context(redis_server.server_names())
        server = start_server(
            temp_databases.postgresql() if workers else temp_databases.sqlite(),
            folder / "server.log",
            extra_env={
                "GEMINI_API_KEY": "fake-key-for-tests",
                "GEMINI_BASE_URL": fake_gemini.url,
                "GEOIP_DB_PATH": build_mmdb(folder / "geo.mmdb", SAMPLE_NETWORKS),
                # Tests may speak for other visitors through X-Forwarded-For; the browser never does.
                "TRUSTED_PROXIES": "127.0.0.1",
                # One-minute access tokens: every page renews its own through the refresh
                # cookie every 15 seconds (state/auth.py), which every browser test then exercises.
                "ACCESS_TOKEN_EXPIRE_MINUTES": "1",
                "WEBHOOK_ALLOW_PRIVATE": "true",  # the e2e tests' webhook receiver is on loopback
                **workers,
            },
        )
        yield server
        server.stop()


@pytest.fixture
def asgi_app():
    """The backend as Reflex serves it, minus Reflex: the redirect middleware around the request
    log around the security headers around the API."""
    from linkapp.api.app import api
    from linkapp.api.headers import SecurityHeaders
    from linkapp.api.request_log import RequestLog
    from linkapp.redirect import ShortLinks

    return ShortLinks(RequestLog(SecurityHeaders(api)))


@pytest.fixture
async def client(db_engine, asgi_app):
    transport = httpx.ASGITransport(app=asgi_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
