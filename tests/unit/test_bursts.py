"""Burst flagging of an enriched batch in one process (no Redis): the clicks past the limit
within the window become bots with reason "burst"; other bots are not counted towards it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services.clicks.bursts import LIMIT, BurstDetector, Bursts
from linkapp.services.clicks.enrich import enrich

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


# BurstDetector


def test_burst_detector_with_limit_clicks_in_window_is_false():
    bursts = BurstDetector()
    assert not any(bursts.check(1, "v", T0 + timedelta(seconds=i)) for i in range(10))


def test_burst_detector_with_one_click_past_limit_in_window_is_true():
    bursts = BurstDetector()
    for i in range(10):
        bursts.check(1, "v", T0 + timedelta(seconds=i))
    assert bursts.check(1, "v", T0 + timedelta(seconds=59)) is True
    assert bursts.check(1, "v", T0 + timedelta(seconds=59)) is True


def test_burst_detector_with_clicks_spread_over_more_than_window_is_false():
    bursts = BurstDetector()
    assert not any(bursts.check(1, "v", T0 + timedelta(seconds=6.1 * i)) for i in range(30))


def test_burst_detector_after_a_quiet_window_is_false_again():
    bursts = BurstDetector()
    results = [bursts.check(1, "v", T0 + timedelta(seconds=i)) for i in range(12)]
    assert results[-1] is True
    assert bursts.check(1, "v", T0 + timedelta(seconds=200)) is False


def test_burst_detector_counts_each_visitor_and_link_apart():
    bursts = BurstDetector()
    for i in range(10):
        bursts.check(1, "v", T0 + timedelta(seconds=i))
    assert bursts.check(1, "other-visitor", T0 + timedelta(seconds=10)) is False
    assert bursts.check(2, "v", T0 + timedelta(seconds=10)) is False
    assert bursts.check(1, "v", T0 + timedelta(seconds=10)) is True


def test_burst_detector_with_custom_limit_and_window_uses_them():
    bursts = BurstDetector(limit=2, window=5)
    assert [bursts.check(1, "v", T0 + timedelta(seconds=s)) for s in (0, 1, 2)] == [False, False, True]
    assert [bursts.check(1, "v", T0 + timedelta(seconds=s)) for s in (20, 26, 32)] == [False, False, False]


def test_burst_detector_with_out_of_order_clicks_still_counts_the_window():
    bursts = BurstDetector(limit=2, window=5)
    assert [bursts.check(1, "v", T0 + timedelta(seconds=s)) for s in (3, 1, 2)] == [False, False, True]


def test_burst_detector_keeps_at_most_max_keys_forgetting_the_least_recent():
    bursts = BurstDetector(limit=1, window=60, max_keys=3)
    bursts.check(1, "a", T0)
    for visitor in ("b", "c", "d", "e"):
        bursts.check(1, visitor, T0)
    assert len(bursts) == 3
    # "a" was forgotten: its second click counts as its first.
    assert bursts.check(1, "a", T0 + timedelta(seconds=1)) is False
    assert bursts.check(1, "e", T0 + timedelta(seconds=1)) is True


def test_burst_detector_keeps_recently_seen_keys():
    bursts = BurstDetector(limit=1, window=60, max_keys=2)
    bursts.check(1, "a", T0)
    bursts.check(1, "b", T0)
    bursts.check(1, "a", T0)  # "a" is now the most recent, "b" the one to go
    bursts.check(1, "c", T0)
    assert bursts.check(1, "a", T0) is True
    assert bursts.check(1, "b", T0 + timedelta(seconds=1)) is False
