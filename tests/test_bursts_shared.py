"""Bursts judged across workers and instances through Redis (real server): a visitor's clicks
written by several writers make the same verdicts as if one writer had seen them all."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis

from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services.clicks import store as click_store
from linkapp.services.clicks.bursts import LIMIT, Bursts
from linkapp.services.clicks.enrich import enrich
from tests import redis_server
from tests.factories import create_link, register, store_clicks

pytestmark = pytest.mark.skipif(bool(redis_server.missing()), reason=redis_server.missing() or "")

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.fixture
def prefix(monkeypatch):
    """REDIS_URL set, and burst keys of this test's own (deleted afterwards)."""
    name = f"linkapp-test:bursts:{uuid.uuid4().hex}"
    monkeypatch.setattr(settings, "REDIS_URL", redis_server.REDIS_URL)
    monkeypatch.setattr(settings, "BURST_KEY_PREFIX", name)
    yield name
    client = redis.Redis.from_url(redis_server.REDIS_URL)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def rows(start: int, count: int) -> list[dict]:
    now = datetime.now(UTC)
    return [
        enrich(Click(link_id=7, clicked_at=now + timedelta(seconds=0.1 * n), ip_address="203.0.113.5", user_agent=BROWSER), salt="s")
        for n in range(start, start + count)
    ]


async def test_two_writers_see_one_burst(prefix):
    clicks = rows(0, 30)
    first, second = Bursts(), Bursts()  # two processes: nothing in memory is shared

    await first.flag(clicks[:15])
    await second.flag(clicks[15:])

    assert [row["is_bot"] for row in clicks] == [False] * LIMIT + [True] * (30 - LIMIT)


async def test_writers_taking_a_visitors_clicks_out_of_order_see_the_same_burst(prefix):
    clicks = rows(0, 30)

    await Bursts().flag(clicks[15:])  # the later clicks reach a writer first
    await Bursts().flag(clicks[:15])

    assert sum(not row["is_bot"] for row in clicks) == LIMIT
    assert all(row["bot_reason"] in (None, "burst") for row in clicks)


async def test_a_batch_judged_again_is_not_counted_twice(prefix):
    bursts = Bursts()
    batch = rows(0, LIMIT)
    await bursts.flag(batch)
    retried = [dict(row) for row in batch]  # the same clicks (same click ids) after a failed write

    await Bursts().flag(retried)

    assert not any(row["is_bot"] for row in batch + retried)


async def test_without_redis_each_writer_judges_what_it_sees_and_says_so(prefix, monkeypatch, caplog):
    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:1/0")
    bursts = Bursts()
    batch = rows(0, LIMIT + 1)

    with caplog.at_level(logging.WARNING):
        await bursts.flag(batch[:10])
        await bursts.flag(batch[10:])

    assert batch[-1]["bot_reason"] == "burst" and not any(row["is_bot"] for row in batch[:-1])
    assert caplog.text.count("burst detection cannot reach Redis") == 1


async def test_stored_clicks_from_two_instances_count_the_burst_once(client, prefix):
    user = await register(client)
    link = await create_link(client, user)
    now = datetime.now(UTC)
    moments = [now + timedelta(seconds=0.1 * n) for n in range(30)]

    await store_clicks(link, *moments[:15])
    click_store.reset()  # the other instance: its writer has seen none of these
    await store_clicks(link, *moments[15:])

    body = (await client.get(f"/api/v1/analytics/links/{link['id']}", headers=user["headers"])).json()
    assert body["total_clicks"] == LIMIT
    assert {row["reason"]: row["clicks"] for row in body["bots"]} == {"burst": 30 - LIMIT}
