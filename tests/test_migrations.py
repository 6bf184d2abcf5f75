"""Alembic migrations: they build the schema the models describe, and undo it, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, pool, text
from sqlmodel import SQLModel

import linkapp.models  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import command
from linkapp.core.config import normalize_database_url
from tests.conftest import TempDatabases, alembic_config

APP_TABLES = {"users", "links", "link_tags", "link_events", "refresh_tokens"}


@pytest.fixture(scope="module")
def temp_dbs():
    dbs = TempDatabases()
    yield dbs
    dbs.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, temp_dbs) -> str:
    """A brand-new, empty database of each kind (not the one the other tests share)."""
    return getattr(temp_dbs, request.param)()


def _engine(url: str):
    return create_engine(normalize_database_url(url), poolclass=pool.NullPool)


def _schema_differences(url: str) -> list:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _current_revision(url: str) -> str | None:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def test_revisions_form_one_chain_with_a_single_head():
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1, "more than one head: `alembic upgrade head` would refuse to run"
    assert len(scripts.get_bases()) == 1


def test_upgrade_head_creates_schema_matching_models(empty_url):
    command.upgrade(alembic_config(empty_url), "head")

    assert APP_TABLES <= _tables(empty_url)
    assert _schema_differences(empty_url) == []
    head = ScriptDirectory.from_config(alembic_config(empty_url)).get_current_head()
    assert _current_revision(empty_url) == head


def test_downgrade_base_removes_every_app_table(empty_url):
    config = alembic_config(empty_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")

    assert _tables(empty_url) - {"alembic_version"} == set()
    assert _current_revision(empty_url) is None


def test_upgrade_after_downgrade_rebuilds_same_schema(empty_url):
    config = alembic_config(empty_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")

    assert APP_TABLES <= _tables(empty_url)
    assert _schema_differences(empty_url) == []


def test_upgrade_head_gives_schema_that_stores_and_reads_rows(empty_url):
    """Defaults the app relies on (server-side booleans, autoincrement ids) exist after upgrading."""
    command.upgrade(alembic_config(empty_url), "head")
    engine = _engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO link_events (link_id, clicked_at) VALUES (1, '2026-01-24 10:00:00+00:00')"))
            conn.execute(text("INSERT INTO link_events (link_id, clicked_at) VALUES (1, '2026-01-24 11:00:00+00:00')"))
            rows = conn.execute(text("SELECT id, is_bot FROM link_events ORDER BY id")).all()
    finally:
        engine.dispose()

    assert [row.id for row in rows] == [1, 2]
    assert [bool(row.is_bot) for row in rows] == [False, False]


def test_downgrade_base_drops_tables_holding_data(empty_url):
    config = alembic_config(empty_url)
    command.upgrade(config, "head")
    engine = _engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO users (username, username_key, password_hash, created_at) VALUES ('ann', 'ann', 'x', '2026-01-24 10:00:00+00:00')")
            )
            user_id = conn.execute(text("SELECT id FROM users")).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO links (owner_id, url, title, disabled, created_at, updated_at) "
                    "VALUES (:owner, 'https://example.com', 'example.com', false, '2026-01-24 10:00:00+00:00', '2026-01-24 10:00:00+00:00')"
                ),
                {"owner": user_id},
            )
            link_id = conn.execute(text("SELECT id FROM links")).scalar_one()
            conn.execute(text("INSERT INTO link_tags (link_id, tag) VALUES (:link, 'news')"), {"link": link_id})
    finally:
        engine.dispose()

    command.downgrade(config, "base")

    assert _tables(empty_url) - {"alembic_version"} == set()


def test_visitor_rows_learn_first_and_last_quarter_hour_from_stored_clicks(empty_url):
    """0005 fills the new columns from the clicks; a row whose clicks are gone stays unknown."""
    config = alembic_config(empty_url)
    command.upgrade(config, "0004")
    engine = _engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (username, username_key, password_hash, created_at) VALUES ('ann', 'ann', 'x', '2026-01-24 10:00:00+00:00')"))
            owner = conn.execute(text("SELECT id FROM users")).scalar_one()
            conn.execute(
                text("INSERT INTO links (owner_id, url, title, created_at, updated_at) VALUES (:owner, 'https://example.com', 't', '2026-01-24 10:00:00+00:00', '2026-01-24 10:00:00+00:00')"),
                {"owner": owner},
            )
            link = conn.execute(text("SELECT id FROM links")).scalar_one()
            for at in ("2026-01-24 10:07:00+00:00", "2026-01-24 18:50:00+00:00"):
                conn.execute(text("INSERT INTO link_events (link_id, clicked_at, visitor_id) VALUES (:link, :at, 'v1')"), {"link": link, "at": at})
            for scope, key, visitor in (("l", link, "v1"), ("o", owner, "v1"), ("l", link, "purged")):
                conn.execute(
                    text("INSERT INTO rollup_day_visitors (scope, scope_id, day, visitor_id) VALUES (:scope, :key, '2026-01-24', :visitor)"),
                    {"scope": scope, "key": key, "visitor": visitor},
                )
        command.upgrade(config, "0005")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT scope, visitor_id, first_bucket, last_bucket FROM rollup_day_visitors ORDER BY scope, visitor_id")).all()
    finally:
        engine.dispose()

    day_start = 1769212800 // 900  # 2026-01-24 00:00 UTC in quarter hours
    assert [tuple(row) for row in rows] == [
        ("l", "purged", None, None),
        ("l", "v1", day_start + 40, day_start + 75),
        ("o", "v1", day_start + 40, day_start + 75),
    ]


def test_downgrade_from_click_batches_keeps_the_click_events_they_held(empty_url):
    """Click events waiting in webhook_click_batches are owed by the outbox the older version reads."""
    config = alembic_config(empty_url)
    command.upgrade(config, "0012")
    lines = "\n".join(f'evt_{n}\t{{"id":"evt_{n}","type":"link.clicked"}}' for n in range(3))
    engine = _engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO webhook_click_batches (hook_id, created_at, events, lines) VALUES (5, '2026-01-24 10:00:00+00:00', 3, :lines)"),
                {"lines": lines},
            )
            # One of them was moved already: it is not owed twice.
            conn.execute(
                text(
                    "INSERT INTO webhook_deliveries (hook_id, event_id, event_type, payload, created_at, next_attempt_at, status, attempts) "
                    "VALUES (5, 'evt_0', 'link.clicked', '{}', '2026-01-24 10:00:00+00:00', '2026-01-24 10:00:00+00:00', 'delivered', 1)"
                )
            )
    finally:
        engine.dispose()

    command.downgrade(config, "0011")

    engine = _engine(empty_url)
    try:
        with engine.begin() as conn:
            rows = conn.execute(text("SELECT hook_id, event_id, status, payload FROM webhook_deliveries ORDER BY event_id")).all()
    finally:
        engine.dispose()
    assert "webhook_click_batches" not in _tables(empty_url)
    assert [tuple(row[:3]) for row in rows] == [(5, "evt_0", "delivered"), (5, "evt_1", "pending"), (5, "evt_2", "pending")]
    assert rows[1].payload == '{"id":"evt_1","type":"link.clicked"}'
