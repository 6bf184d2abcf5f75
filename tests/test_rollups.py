"""Rollups agree with the raw clicks: after random traffic, retries, a rebuild and a purge."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from linkapp.core import ids
from linkapp.models.click import Click
from linkapp.models.event import LinkEvent
from linkapp.models.rollup import DayVisitor
from linkapp.services.analytics import figures as analytics
from linkapp.services.clicks import maintenance
from linkapp.services.clicks import store as click_store
from tests.factories import create_link, register

AGENTS = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36", False),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", False),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", False),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", True),
    ("curl/8.5.0", True),
]
SOURCES = [None, "newsletter", "twitter"]
START = datetime(2026, 3, 1, tzinfo=UTC)


def _traffic(rng: random.Random, link_ids: list[int], count: int) -> list[Click]:
    clicks = []
    for _ in range(count):
        agent, _ = rng.choice(AGENTS)
        clicks.append(
            Click(
                link_id=rng.choice(link_ids),
                clicked_at=START + timedelta(seconds=rng.randrange(10 * 86400)),
                ip_address=f"198.51.{rng.randrange(3)}.{rng.randrange(1, 5)}",
                user_agent=agent,
                source=rng.choice(SOURCES),
            )
        )
    return clicks


def _expected(clicks: list[Click], link_ids: set[int], days: analytics.DayRange, *, include_bots: bool = False) -> dict:
    """What the figures must say, computed from the generated clicks alone."""
    bot_agents = {agent for agent, bot in AGENTS if bot}
    inside = [c for c in clicks if c.link_id in link_ids and days.utc_start <= c.clicked_at < days.utc_end]
    humans = [c for c in inside if c.user_agent not in bot_agents]
    counted = inside if include_bots else humans
    per_day = Counter(c.clicked_at.astimezone(days.tz).date().isoformat() for c in counted)
    # Visitor ids change each UTC day: a visitor is (UTC day, address's /24 network owner, agent).
    visitors = {(c.clicked_at.astimezone(UTC).date(), c.ip_address, c.user_agent) for c in humans}
    return {
        "total_clicks": len(counted),
        "unique_visitors": len(visitors),
        "per_day": {day: n for day, n in per_day.items()},
        "sources": Counter(c.source or "direct" for c in counted),
        "bots": len(inside) - len(humans),
        "per_link": Counter(c.link_id for c in counted),
    }


def _check(body: dict, expected: dict) -> None:
    assert body["total_clicks"] == expected["total_clicks"]
    assert body["unique_visitors"] == expected["unique_visitors"]
    assert {row["day"]: row["clicks"] for row in body["clicks_per_day"] if row["clicks"]} == expected["per_day"]
    assert {row["source"]: row["clicks"] for row in body["clicks_by_source"]} == dict(expected["sources"])
    assert sum(row["clicks"] for row in body["bots"]) == expected["bots"]
    if "links" in body:
        per_link = {ids.decode_link_id(row["id"]): row["total_clicks"] for row in body["links"] if row["total_clicks"]}
        assert per_link == dict(expected["per_link"])


@pytest.fixture
async def traffic(client, db):
    user = await register(client)
    links = [await create_link(client, user, url=f"https://example.com/{n}") for n in range(3)]
    link_ids = [ids.decode_link_id(link["id"]) for link in links]
    rng = random.Random(20261128)
    clicks = _traffic(rng, link_ids, 600)
    # Random batch sizes, and a third of the batches written twice (a retry after an unclear failure).
    position = 0
    while position < len(clicks):
        size = rng.randint(1, 80)
        batch = clicks[position : position + size]
        assert await click_store.store(batch) == len(batch)
        if rng.random() < 0.33:
            assert await click_store.store(batch) == 0
        position += size
    return user, links, link_ids, clicks


async def _assert_figures_match(client, db, user, links, link_ids, clicks, zones=("UTC", "Europe/Paris", "Asia/Kathmandu", "America/Los_Angeles")):
    for tz in zones:
        days = analytics.day_range(date(2026, 3, 2), date(2026, 3, 8), tz)
        body = await analytics.summary(db=db, owner_id=ids.decode_user_id(user["id"]), days=days)
        _check(body, _expected(clicks, set(link_ids), days))
        one = await analytics.link_analytics(db=db, owner_id=ids.decode_user_id(user["id"]), public_id=links[0]["id"], days=days)
        _check(one, _expected(clicks, {link_ids[0]}, days))


async def test_rollups_equal_raw_counts_after_random_traffic_and_retries(client, db, traffic):
    user, links, link_ids, clicks = traffic
    assert await db.scalar(select(func.count()).select_from(LinkEvent)) == len(clicks)
    await _assert_figures_match(client, db, user, links, link_ids, clicks)


async def test_rollups_equal_raw_counts_in_half_hour_zones_and_across_dst(client, db, traffic):
    """Asia/Kolkata is UTC+5:30; New York and Los Angeles move their clocks on 2026-03-08,
    inside the range; Lord Howe's clocks move by half an hour (not in this range)."""
    user, links, link_ids, clicks = traffic
    zones = ("Asia/Kolkata", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham")
    await _assert_figures_match(client, db, user, links, link_ids, clicks, zones=zones)
    # A range that starts and ends inside the traffic, crossing the change of offset.
    owner = ids.decode_user_id(user["id"])
    for tz in ("America/New_York", "Asia/Kolkata"):
        for start, end in ((date(2026, 3, 7), date(2026, 3, 9)), (date(2026, 3, 8), date(2026, 3, 8))):
            days = analytics.day_range(start, end, tz)
            _check(await analytics.summary(db=db, owner_id=owner, days=days), _expected(clicks, set(link_ids), days))


async def test_rollups_equal_raw_counts_with_bots_included(client, db, traffic):
    user, links, link_ids, clicks = traffic
    owner = ids.decode_user_id(user["id"])
    for tz in ("UTC", "America/New_York", "Asia/Kolkata"):
        days = analytics.day_range(date(2026, 3, 2), date(2026, 3, 8), tz)
        body = await analytics.summary(db=db, owner_id=owner, days=days, include_bots=True)
        _check(body, _expected(clicks, set(link_ids), days, include_bots=True))
        one = await analytics.link_analytics(db=db, owner_id=owner, public_id=links[0]["id"], days=days, include_bots=True)
        _check(one, _expected(clicks, {link_ids[0]}, days, include_bots=True))


async def test_reading_edges_leaves_the_transaction_settings_as_they_were(client, db, traffic):
    """On PostgreSQL the edge statement runs with its own jit, work_mem and plan_cache_mode."""
    if db.bind.dialect.name != "postgresql":
        pytest.skip("PostgreSQL settings")
    user, _, link_ids, clicks = traffic
    show = "SELECT current_setting('jit'), current_setting('work_mem'), current_setting('plan_cache_mode')"
    await db.execute(text("SET LOCAL work_mem = '5MB'"))
    before = (await db.execute(text(show))).one()
    days = analytics.day_range(date(2026, 3, 2), date(2026, 3, 8), "America/New_York")
    body = await analytics.summary(db=db, owner_id=ids.decode_user_id(user["id"]), days=days)
    _check(body, _expected(clicks, set(link_ids), days))
    assert (await db.execute(text(show))).one() == before
    assert before[1] == "5MB"


def test_offset_segments_follow_the_zone_rules():
    from zoneinfo import ZoneInfo

    from linkapp.services.rollups.reads import offset_segments

    def segments(start: date, end: date, tz: str):
        days = analytics.day_range(start, end, tz)
        found = offset_segments(days.utc_start, days.utc_end, days.tz)
        return found and [(datetime.fromtimestamp(bucket * 900, UTC).isoformat(), quarters) for bucket, quarters in found]

    assert segments(date(2026, 3, 1), date(2026, 3, 31), "UTC") == [("2026-03-01T00:00:00+00:00", 0)]
    assert segments(date(2026, 3, 1), date(2026, 3, 31), "Asia/Kolkata") == [("2026-02-28T18:30:00+00:00", 22)]
    # New York: 02:00 EST becomes 03:00 EDT on 2026-03-08, at 07:00 UTC.
    assert segments(date(2026, 3, 1), date(2026, 3, 31), "America/New_York") == [
        ("2026-03-01T05:00:00+00:00", -20),
        ("2026-03-08T07:00:00+00:00", -16),
    ]
    # Lord Howe moves by half an hour: 02:00 +11 becomes 01:30 +10:30 on 2026-04-05 (15:00 UTC).
    assert segments(date(2026, 4, 1), date(2026, 4, 10), "Australia/Lord_Howe") == [
        ("2026-03-31T13:00:00+00:00", 44),
        ("2026-04-04T15:00:00+00:00", 42),
    ]
    # A whole year: two changes, and a range ending on a change.
    assert len(segments(date(2026, 1, 1), date(2026, 12, 31), "Europe/Paris")) == 3
    assert len(segments(date(2026, 3, 28), date(2026, 3, 28), "Europe/Paris")) == 1
    # Monrovia was UTC-0:44:30 until 1972: no whole quarter hours, so per-day figures fall back to Python.
    assert segments(date(1971, 12, 1), date(1972, 1, 31), "Africa/Monrovia") is None
    assert ZoneInfo("Africa/Monrovia")  # the zone exists


async def test_rebuild_rollups_reproduces_the_written_ones(client, db, traffic):
    user, links, link_ids, clicks = traffic
    assert await maintenance.rebuild_rollups(db) == len(clicks)
    await _assert_figures_match(client, db, user, links, link_ids, clicks, zones=("UTC", "Asia/Kathmandu"))


async def test_purge_deletes_raw_clicks_but_keeps_whole_day_figures(client, db, traffic, monkeypatch):
    user, links, link_ids, clicks = traffic
    days = analytics.day_range(date(2026, 3, 2), date(2026, 3, 8), "UTC")
    before = await analytics.summary(db=db, owner_id=ids.decode_user_id(user["id"]), days=days)
    retention = (datetime.now(UTC) - START).days - 20  # every generated click is older than this
    assert await maintenance.purge_old_clicks(db, retention) == len(clicks)
    assert await db.scalar(select(func.count()).select_from(LinkEvent)) == 0
    after = await analytics.summary(db=db, owner_id=ids.decode_user_id(user["id"]), days=days)
    for key in ("total_clicks", "unique_visitors", "clicks_per_day", "clicks_by_source", "bots", "links"):
        assert after[key] == before[key], key


async def test_purge_runs_in_one_worker_at_a_time(client, db, db_engine, traffic, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one worker: nothing to share")
    user, links, link_ids, clicks = traffic
    retention = (datetime.now(UTC) - START).days - 20
    async with db_engine.connect() as other_worker:
        await other_worker.begin()
        await other_worker.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": maintenance.PURGE_LOCK})

        assert await maintenance.purge_old_clicks(db, retention) == 0
        assert await db.scalar(select(func.count()).select_from(LinkEvent)) == len(clicks)
        await other_worker.rollback()  # that worker is done

    assert await maintenance.purge_old_clicks(db, retention) == len(clicks)


async def test_deleting_a_link_takes_it_out_of_the_owner_totals(client, db, traffic):
    user, links, link_ids, clicks = traffic
    response = await client.delete(f"/api/v1/links/{links[1]['id']}", headers=user["headers"])
    assert response.status_code == 204
    remaining = [c for c in clicks if c.link_id != link_ids[1]]
    for tz in ("UTC", "Europe/Paris"):
        days = analytics.day_range(date(2026, 3, 2), date(2026, 3, 8), tz)
        body = await analytics.summary(db=db, owner_id=ids.decode_user_id(user["id"]), days=days)
        _check(body, _expected(remaining, {link_ids[0], link_ids[2]}, days))


def test_local_days_in_shifted_zone_cut_utc_days_at_the_edges():
    from linkapp.services.rollups.reads import split

    days = analytics.day_range(date(2026, 3, 2), date(2026, 3, 4), "Europe/Paris")  # UTC+1
    parts = split(days.utc_start, days.utc_end)
    assert parts.full_days == (date(2026, 3, 2), date(2026, 3, 3))
    assert [(a.isoformat(), b.isoformat()) for a, b in parts.edges] == [
        ("2026-03-01T23:00:00+00:00", "2026-03-02T00:00:00+00:00"),
        ("2026-03-04T00:00:00+00:00", "2026-03-04T23:00:00+00:00"),
    ]
    utc = analytics.day_range(date(2026, 3, 2), date(2026, 3, 4), "UTC")
    assert split(utc.utc_start, utc.utc_end).edges == ()
    one_day = analytics.day_range(date(2026, 3, 2), date(2026, 3, 2), "Asia/Tokyo")
    assert split(one_day.utc_start, one_day.utc_end).full_days is None


async def test_daily_maintenance_forgets_old_salts_and_keeps_recent_ones(db, db_engine):
    from linkapp.models.rollup import VisitorSalt

    today = datetime.now(UTC).date()
    for day in (today, today - timedelta(days=1), today - timedelta(days=2), today - timedelta(days=30)):
        await click_store.salt_for(db, day)
    await db.commit()
    await maintenance.daily(db, retention_days=0)
    kept = set((await db.execute(select(VisitorSalt.day))).scalars())
    assert kept == {today, today - timedelta(days=1)}


async def test_edge_visitors_come_from_the_visitor_rows_when_raw_clicks_are_gone(client, db, traffic):
    """Paris days are UTC days shifted by an hour, so March 2-8 ends inside UTC March 8."""
    user, links, link_ids, clicks = traffic
    days = analytics.day_range(date(2026, 3, 2), date(2026, 3, 8), "Europe/Paris")
    expected = _expected(clicks, set(link_ids), days)["unique_visitors"]
    await db.execute(delete(LinkEvent).where(LinkEvent.clicked_at >= datetime(2026, 3, 8, tzinfo=UTC)))
    await db.commit()

    body = await analytics.summary(db=db, owner_id=ids.decode_user_id(user["id"]), days=days)

    assert body["unique_visitors"] == expected


async def test_edge_visitors_are_read_raw_where_visitor_rows_do_not_know_first_and_last(client, db, traffic):
    user, links, link_ids, clicks = traffic
    await db.execute(update(DayVisitor).values(first_bucket=None, last_bucket=None))  # as rows from before migration 0005
    await db.commit()

    for tz in ("Europe/Paris", "Asia/Kolkata"):
        days = analytics.day_range(date(2026, 3, 2), date(2026, 3, 8), tz)
        body = await analytics.summary(db=db, owner_id=ids.decode_user_id(user["id"]), days=days)
        assert body["unique_visitors"] == _expected(clicks, set(link_ids), days)["unique_visitors"]
