"""Burst flagging of an enriched batch in one process (no Redis): the clicks past the limit
within the window become bots with reason "burst"; other bots are not counted towards it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services.bursts import LIMIT, Bursts
from linkapp.services.enrich import enrich

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.fixture(autouse=True)
def no_redis(monkeypatch):
    monkeypatch.setattr(settings, "REDIS_URL", None)


def rows(count: int, *, agent: str = BROWSER, every: float = 0.1) -> list[dict]:
    return [enrich(Click(link_id=1, clicked_at=T0 + timedelta(seconds=every * n), ip_address="203.0.113.5", user_agent=agent), salt="s") for n in range(count)]


async def test_clicks_past_the_limit_within_the_window_are_bursts():
    batch = rows(LIMIT + 2)
    await Bursts().flag(batch)
    assert [row["bot_reason"] for row in batch] == [None] * LIMIT + ["burst", "burst"]
    assert [row["is_bot"] for row in batch] == [False] * LIMIT + [True, True]


async def test_a_burst_is_seen_across_batches():
    bursts = Bursts()
    first, second = rows(LIMIT), rows(LIMIT + 1)[LIMIT:]
    await bursts.flag(first)
    await bursts.flag(second)
    assert not any(row["is_bot"] for row in first) and second[0]["bot_reason"] == "burst"


async def test_clicks_spread_wider_than_the_window_are_people():
    batch = rows(3 * LIMIT, every=1.0)
    await Bursts().flag(batch)
    assert not any(row["is_bot"] for row in batch)


async def test_bots_of_other_kinds_keep_their_reason_and_do_not_count():
    bursts = Bursts()
    batch = rows(LIMIT + 5, agent="curl/8.5.0")
    await bursts.flag(batch)
    assert {row["bot_reason"] for row in batch} == {"http_client"}
    assert len(bursts.local) == 0
