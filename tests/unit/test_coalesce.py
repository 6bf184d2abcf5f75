"""The coalescer: what callers submit while a batch is out goes together in the next one."""

from __future__ import annotations

import asyncio

import pytest

from linkapp.core.coalesce import Coalescer


async def test_callers_waiting_meanwhile_go_in_one_batch_and_each_gets_its_own_result():
    sent: list[list[int]] = []

    async def send(items: list[int]) -> list[int]:
        sent.append(items)
        await asyncio.sleep(0.01)
        return [item * 10 for item in items]

    coalescer = Coalescer(send, max_items=4)
    results = await asyncio.gather(*(coalescer.submit(n) for n in range(6)))

    assert results == [n * 10 for n in range(6)]
    assert sent == [[0, 1, 2, 3], [4, 5]]  # the largest batch is max_items
    assert await coalescer.submit(7) == 70 and sent[-1] == [7]  # alone: sent at once


async def test_a_failed_batch_fails_its_callers_only():
    calls = 0

    async def send(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("server away")
        return items

    coalescer = Coalescer(send)
    first = await asyncio.gather(coalescer.submit("a"), coalescer.submit("b"), return_exceptions=True)
    assert [type(each) for each in first] == [ConnectionError, ConnectionError]
    assert await coalescer.submit("c") == "c"


async def test_a_batch_that_returns_the_wrong_number_of_results_fails_loudly():
    async def send(items: list[int]) -> list[int]:
        return items[:-1]

    with pytest.raises(ValueError):
        await Coalescer(send).submit(1)
