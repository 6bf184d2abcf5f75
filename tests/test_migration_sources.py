"""Migration 0011: stored clicks without utm_source take their referring site's name as source,
and the "source" rollups move those clicks from "direct" to it, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from alembic import command
from linkapp.services.visitors.referrers import site_name
from tests.conftest import alembic_config
from tests.test_migrations import _engine, empty_url, temp_dbs  # noqa: F401  (fixtures)

DAY, OTHER_DAY, PURGED_DAY = "2026-01-24", "2026-01-25", "2025-11-01"
# Hosts as the writer stored them (lower-case, no "www."): known sites in their many spellings and others.
HOSTS = [
    "twitter.com", "mobile.twitter.com", "x.com", "t.co", "google.com", "google.co.uk", "news.google.de", "l.facebook.com",
    "fb.com", "lnkd.in", "old.reddit.com", "youtu.be", "news.ycombinator.com", "github.com", "t.me", "app.slack.com",
    "mastodon.social", "blog.example.org", "ycombinator.com", "notgoogle.com", "fox.com", "gitlab.com",
]


def _add_user_and_link(conn, name: str) -> tuple[int, int]:
    conn.execute(
        text("INSERT INTO users (username, username_key, password_hash, created_at) VALUES (:name, :name, 'x', '2026-01-20 10:00:00+00:00')"), {"name": name}
    )
    owner = conn.execute(text("SELECT id FROM users WHERE username = :name"), {"name": name}).scalar_one()
    conn.execute(
        text(
            "INSERT INTO links (owner_id, url, title, disabled, created_at, updated_at) "
            "VALUES (:owner, 'https://example.com', :name, false, '2026-01-20 10:00:00+00:00', '2026-01-20 10:00:00+00:00')"
        ),
        {"owner": owner, "name": name},
    )
    return owner, conn.execute(text("SELECT id FROM links WHERE owner_id = :owner"), {"owner": owner}).scalar_one()


def _add_click(conn, link: int, day: str, source: str | None, host: str | None, is_bot: bool = False) -> None:
    conn.execute(
        text("INSERT INTO link_events (link_id, clicked_at, source, referrer_host, is_bot) VALUES (:link, :at, :source, :host, :bot)"),
        {"link": link, "at": f"{day} 12:00:00+00:00", "source": source, "host": host, "bot": is_bot},
    )


def _add_source_rows(conn, rows: list[tuple]) -> None:
    """The "source" rollups as the writer before 0011 kept them: (scope, scope_id, day, value, clicks, bots)."""
    for scope, key, day, value, clicks, bots in rows:
        conn.execute(
            text("INSERT INTO rollup_day_dimensions (scope, scope_id, day, dimension, value, clicks, bots) VALUES (:s, :k, :d, 'source', :v, :c, :b)"),
            {"s": scope, "k": key, "d": day, "v": value, "c": clicks, "b": bots},
        )


def _source_rows(conn) -> set[tuple]:
    rows = conn.execute(text("SELECT scope, scope_id, day, value, clicks, bots FROM rollup_day_dimensions WHERE dimension = 'source'")).all()
    return {(scope, key, str(day), value, clicks, bots) for scope, key, day, value, clicks, bots in rows}


def test_stored_clicks_without_utm_source_take_their_referrers_name_and_rollups_follow(empty_url):  # noqa: F811
    config = alembic_config(empty_url)
    command.upgrade(config, "0010")
    engine = _engine(empty_url)
    try:
        with engine.begin() as conn:
            owner, link = _add_user_and_link(conn, "ann")
            _add_click(conn, link, DAY, None, "twitter.com")
            _add_click(conn, link, DAY, "", "t.co")
            _add_click(conn, link, DAY, None, "google.co.uk")
            _add_click(conn, link, DAY, None, "twitter.com", is_bot=True)
            _add_click(conn, link, DAY, "newsletter", "twitter.com")  # tagged: stays
            _add_click(conn, link, DAY, "qr", None)  # a QR scan: stays
            _add_click(conn, link, DAY, None, None)  # direct: stays
            _add_click(conn, link, OTHER_DAY, None, "mastodon.social")
            _add_click(conn, 999, DAY, None, "twitter.com")  # a deleted link's late click: counted nowhere
            _add_source_rows(
                conn,
                [
                    ("l", link, DAY, "direct", 4, 1), ("o", owner, DAY, "direct", 4, 1),
                    ("l", link, DAY, "newsletter", 1, 0), ("o", owner, DAY, "newsletter", 1, 0),
                    ("l", link, DAY, "qr", 1, 0), ("o", owner, DAY, "qr", 1, 0),
                    ("l", link, OTHER_DAY, "direct", 1, 0), ("o", owner, OTHER_DAY, "direct", 1, 0),
                    # A day whose clicks were purged: nothing to tell its referrers by.
                    ("l", link, PURGED_DAY, "direct", 7, 0), ("o", owner, PURGED_DAY, "direct", 7, 0),
                ],
            )
        command.upgrade(config, "0011")
        with engine.connect() as conn:
            sources = conn.execute(text("SELECT link_id, referrer_host, source, is_bot FROM link_events ORDER BY id")).all()
            rows = _source_rows(conn)
    finally:
        engine.dispose()

    assert [row.source for row in sources] == ["X/Twitter", "X/Twitter", "Google", "X/Twitter", "newsletter", "qr", None, "mastodon.social", "X/Twitter"]
    expected = set()
    for scope, key in (("l", link), ("o", owner)):
        expected |= {
            (scope, key, DAY, "X/Twitter", 2, 1),
            (scope, key, DAY, "Google", 1, 0),
            (scope, key, DAY, "direct", 1, 0),
            (scope, key, DAY, "newsletter", 1, 0),
            (scope, key, DAY, "qr", 1, 0),
            (scope, key, OTHER_DAY, "mastodon.social", 1, 0),  # its "direct" row emptied and gone
            (scope, key, PURGED_DAY, "direct", 7, 0),
        }
    assert rows == expected


def test_migration_names_stored_referrers_as_new_clicks_are_named(empty_url):  # noqa: F811
    """The site list written out in 0011 and the app's agree: a stored click reads as a new one would."""
    config = alembic_config(empty_url)
    command.upgrade(config, "0010")
    engine = _engine(empty_url)
    try:
        with engine.begin() as conn:
            _, link = _add_user_and_link(conn, "bob")
            for host in HOSTS:
                _add_click(conn, link, DAY, None, host)
        command.upgrade(config, "0011")
        with engine.connect() as conn:
            named = dict(conn.execute(text("SELECT referrer_host, source FROM link_events")).all())
    finally:
        engine.dispose()

    assert named == {host: site_name(host) for host in HOSTS}


def test_downgrade_keeps_the_names_and_upgrading_again_changes_nothing(empty_url):  # noqa: F811
    config = alembic_config(empty_url)
    command.upgrade(config, "0010")
    engine = _engine(empty_url)
    try:
        with engine.begin() as conn:
            owner, link = _add_user_and_link(conn, "cy")
            _add_click(conn, link, DAY, None, "github.com")
            _add_source_rows(conn, [("l", link, DAY, "direct", 1, 0), ("o", owner, DAY, "direct", 1, 0)])
        command.upgrade(config, "0011")
        command.downgrade(config, "0010")
        command.upgrade(config, "0011")
        with engine.connect() as conn:
            source = conn.execute(text("SELECT source FROM link_events")).scalar_one()
            rows = _source_rows(conn)
    finally:
        engine.dispose()

    assert source == "GitHub"
    assert rows == {("l", link, DAY, "GitHub", 1, 0), ("o", owner, DAY, "GitHub", 1, 0)}
