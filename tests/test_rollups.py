"""Rollups agree with the raw clicks: after random traffic, retries, a rebuild and a purge."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from linkapp.core import ids
from linkapp.models.click import Click
from linkapp.models.event import LinkEvent
from linkapp.services import analytics, click_store, maintenance
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


def _expected(clicks: list[Click], link_ids: set[int], days: analytics.DayRange) -> dict:
    """What the figures must say, computed from the generated clicks alone."""
    bot_agents = {agent for agent, bot in AGENTS if bot}
    inside = [c for c in clicks if c.link_id in link_ids and days.utc_start <= c.clicked_at < days.utc_end]
    humans = [c for c in inside if c.user_agent not in bot_agents]
    per_day = Counter(c.clicked_at.astimezone(days.tz).date().isoformat() for c in humans)
    # Visitor ids change each UTC day: a visitor is (UTC day, address's /24 network owner, agent).
    visitors = {(c.clicked_at.astimezone(UTC).date(), c.ip_address, c.user_agent) for c in humans}
    return {
        "total_clicks": len(humans),
        "unique_visitors": len(visitors),
        "per_day": {day: n for day, n in per_day.items()},
        "sources": Counter(c.source or "direct" for c in humans),
        "bots": len(inside) - len(humans),
    }


def _check(body: dict, expected: dict) -> None:
    assert body["total_clicks"] == expected["total_clicks"]
    assert body["unique_visitors"] == expected["unique_visitors"]
    assert {row["day"]: row["clicks"] for row in body["clicks_per_day"] if row["clicks"]} == expected["per_day"]
    assert {row["source"]: row["clicks"] for row in body["clicks_by_source"]} == dict(expected["sources"])
    assert sum(row["clicks"] for row in body["bots"]) == expected["bots"]


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
    from linkapp.services.rollups import split

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
