"""The sliding-window limiter, in process and shared through Redis: limits, remaining counts,
windows sliding on, and one count for every worker."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from limits import parse

from linkapp.core.ratelimit import LocalWindows
from tests import redis_server


def test_local_windows_refuse_past_the_limit_and_count_down():
    windows = LocalWindows()
    item = parse("3/minute")
    verdicts = [windows.hit(item, ("login", "1.2.3.4"), 1000.0 + n) for n in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    assert all(v.limit == 3 and 1 <= v.reset_after <= 60 for v in verdicts)


def test_local_windows_keep_keys_apart():
    windows = LocalWindows()
    item = parse("1/minute")
    assert windows.hit(item, ("a",), 10.0).allowed
    assert windows.hit(item, ("b",), 10.0).allowed
    assert not windows.hit(item, ("a",), 11.0).allowed


def test_local_windows_let_requests_through_again_as_the_window_slides():
    windows = LocalWindows()
    item = parse("2/minute")
    start = 6000.0  # the start of a window
    assert windows.hit(item, ("k",), start).allowed and windows.hit(item, ("k",), start + 1).allowed
    assert not windows.hit(item, ("k",), start + 59).allowed
    # Half-way through the next window, half of the previous window's hits still weigh.
    assert windows.hit(item, ("k",), start + 90).allowed
    assert not windows.hit(item, ("k",), start + 91).allowed
    assert windows.hit(item, ("k",), start + 130).allowed  # two windows on: fresh


def test_local_windows_forget_stale_counters():
    windows = LocalWindows()
    item = parse("5/second")
    for n in range(100):
        windows.hit(item, (f"client{n}",), 50.0)
    windows.hit(item, ("late",), 60.0)  # ten seconds on: the old window is dropped whole
    assert windows.counters() == 1


def test_local_windows_keep_the_previous_window_for_the_slide():
    windows = LocalWindows()
    item = parse("2/minute")
    assert windows.hit(item, ("client",), 100.0).allowed
    assert windows.hit(item, ("client",), 110.0).allowed
    # Next minute, a quarter in: the previous minute's two hits still weigh 1.5.
    assert not windows.hit(item, ("client",), 135.0).allowed
    assert windows.hit(item, ("client",), 175.0).allowed  # three quarters in: they weigh 0.5


async def test_limits_hold_in_process_while_redis_is_unreachable(monkeypatch, caplog):
    from linkapp.core import ratelimit
    from linkapp.core.config import settings

    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(ratelimit, "_local", LocalWindows())
    ratelimit._redis_away.reset()  # an earlier test may have given the warning already

    verdicts = [await ratelimit.check("2/minute", "203.0.113.9") for _ in range(3)]

    assert [verdict.allowed for verdict in verdicts] == [True, True, False]
    assert "counted in this process only" in caplog.text


@pytest.mark.skipif(bool(redis_server.missing()), reason=redis_server.missing() or "")
async def test_a_limit_is_one_count_for_every_worker_through_redis(monkeypatch):
    from linkapp.core import ratelimit
    from linkapp.core.config import settings

    monkeypatch.setattr(settings, "REDIS_URL", redis_server.REDIS_URL)
    client = f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:8]}"

    here = [await ratelimit.check("3/minute", "shared-test", client) for _ in range(2)]

    async def another_worker() -> list:
        # Its own event loop, so its own Redis connection, and its own (empty) memory.
        monkeypatch.setattr(ratelimit, "_local", LocalWindows())
        return [await ratelimit.check("3/minute", "shared-test", client) for _ in range(2)]

    there = await asyncio.to_thread(asyncio.run, another_worker())
    verdicts = here + there
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    assert all(v.limit == 3 and 1 <= v.reset_after <= 60 for v in verdicts)
    assert not (await ratelimit.check("3/minute", "shared-test", client)).allowed  # and here too
    assert (await ratelimit.check("3/minute", "shared-test", client + "-other")).allowed  # per client

    await ratelimit.reset()
    assert (await ratelimit.check("3/minute", "shared-test", client)).allowed
    await ratelimit.reset()


@pytest.mark.skipif(bool(redis_server.missing()), reason=redis_server.missing() or "")
async def test_requests_arriving_together_share_a_round_trip_and_the_limit_stays_exact(monkeypatch):
    from linkapp.core import ratelimit
    from linkapp.core.config import settings

    monkeypatch.setattr(settings, "REDIS_URL", redis_server.REDIS_URL)
    client = f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:8]}"
    await ratelimit.check("3/minute", "crowd-test", "warm-up")  # the script is loaded
    batches = ratelimit._coalescer().batches

    verdicts = await asyncio.gather(*(ratelimit.check("3/minute", "crowd-test", client) for _ in range(5)))
    others = await asyncio.gather(*(ratelimit.check("3/minute", "crowd-test", f"{client}-{n}") for n in range(40)))

    assert [v.allowed for v in verdicts] == [True, True, True, False, False]  # in the order they came
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0, 0]
    assert all(v.allowed and v.remaining == 2 for v in others)
    assert ratelimit._coalescer().batches - batches == 2  # 45 requests, two round trips
    await ratelimit.reset()
