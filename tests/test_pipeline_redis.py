"""Clicks through the shared Redis stream: any instance stores what another recorded, exactly once.

Runs against the real Redis on 127.0.0.1:6379 (REDIS_TEST_URL to change), on a stream and group
named for this run only, deleted afterwards.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
import redis
from sqlalchemy import func, select

from linkapp import db as database
from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.models.event import LinkEvent
from linkapp.services.clicks import store as click_store
from linkapp.services.clicks import stream as click_stream
from linkapp.services.clicks.recorder import ClickRecorder
from linkapp.services.clicks.stream import ClickStream
from tests import redis_server
from tests.factories import create_link, register
from tests.live import free_port
from tests.redis_server import REDIS_URL

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


pytestmark = pytest.mark.skipif(bool(redis_server.missing()), reason=redis_server.missing() or "")


@pytest.fixture
async def link_id(client) -> int:
    user = await register(client)
    return ids.decode_link_id((await create_link(client, user))["id"])


@pytest.fixture
def names(link_id, monkeypatch):
    """REDIS_URL set, and a stream and group of this test's own (set up after the database)."""
    stream = f"linkapp-test:{uuid.uuid4().hex}"
    monkeypatch.setattr(settings, "REDIS_URL", REDIS_URL)
    monkeypatch.setattr(settings, "CLICK_STREAM", stream)
    yield stream, click_stream.GROUP
    redis.Redis.from_url(REDIS_URL).delete(stream)


def instance(name: str, *, claim_idle: float = 60.0) -> ClickRecorder:
    """One app instance's recorder on the test's stream."""
    return ClickRecorder(spool_dir=None, stream=ClickStream(REDIS_URL, consumer=name, claim_idle=claim_idle))


def make_clicks(link_id: int, count: int) -> list[Click]:
    return [Click(link_id=link_id, clicked_at=datetime.now(UTC), ip_address="198.51.100.4", user_agent=BROWSER) for _ in range(count)]


async def stored_count(clicks: list[Click]) -> int:
    async with database.session() as db:
        query = select(func.count()).select_from(LinkEvent).where(LinkEvent.click_id.in_([click.click_id for click in clicks]))
        return (await db.execute(query)).scalar_one()


async def wait_stored(clicks: list[Click], timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while (count := await stored_count(clicks)) < len(clicks) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return count


async def test_record_with_redis_url_adds_to_stream(link_id, names):
    recorder = ClickRecorder()  # no stream handed in: REDIS_URL alone selects it
    await recorder.record(make_clicks(link_id, 1)[0])
    assert redis.Redis.from_url(REDIS_URL).xlen(names[0]) == 1
    assert recorder.queue.qsize() == 0
    await recorder.stream.close()


async def test_stream_click_recorded_by_one_instance_is_stored_by_another(link_id, names):
    receiver, writer = instance("receiver"), instance("writer")
    clicks = make_clicks(link_id, 50)
    for click in clicks:
        await receiver.record(click)  # the receiver's writer never runs
    writer.start()
    try:
        assert await wait_stored(clicks) == 50
        await asyncio.sleep(0.1)
        assert redis.Redis.from_url(REDIS_URL).xlen(names[0]) == 0  # acknowledged and removed
    finally:
        await writer.stop()
        await receiver.stream.close()


async def test_stream_pending_clicks_of_dead_consumer_are_reclaimed(link_id, names):
    dead = ClickStream(REDIS_URL, consumer="dead")
    clicks = make_clicks(link_id, 20)
    for click in clicks:
        await dead.add(click)
    taken = await dead.read(100)  # read, then the process dies before storing
    assert len(taken) == 20
    await dead.close()
    survivor = instance("survivor", claim_idle=0.2)
    survivor.start()
    try:
        assert await wait_stored(clicks) == 20
        pending = redis.Redis.from_url(REDIS_URL).xpending(names[0], names[1])
        deadline = time.monotonic() + 5
        while pending["pending"] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            pending = redis.Redis.from_url(REDIS_URL).xpending(names[0], names[1])
        assert pending["pending"] == 0
    finally:
        await survivor.stop()


async def test_stream_click_stored_before_crash_is_counted_once(link_id, names):
    crashed = ClickStream(REDIS_URL, consumer="crashed")
    clicks = make_clicks(link_id, 15)
    for click in clicks:
        await crashed.add(click)
    await click_store.store([click for _, click in await crashed.read(100)])  # stored, never acknowledged
    await crashed.close()
    survivor = instance("survivor", claim_idle=0.1)
    survivor.start()
    try:
        deadline = time.monotonic() + 5
        while redis.Redis.from_url(REDIS_URL).xlen(names[0]) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert redis.Redis.from_url(REDIS_URL).xlen(names[0]) == 0  # the survivor took them over
        assert await stored_count(clicks) == 15
    finally:
        await survivor.stop()


async def test_flush_with_two_writers_stores_each_click_once(link_id, names):
    first, second = instance("first"), instance("second")
    first.start()
    second.start()
    clicks = make_clicks(link_id, 200)
    try:
        await asyncio.gather(*((first if n % 2 else second).record(click) for n, click in enumerate(clicks)))
        await asyncio.wait_for(asyncio.gather(first.flush(), second.flush()), 15)
        assert await stored_count(clicks) == 200  # flush means stored, whoever wrote them
        async with database.session() as db:
            assert (await db.execute(select(func.count()).select_from(LinkEvent).where(LinkEvent.link_id == link_id))).scalar_one() == 200
    finally:
        await first.stop()
        await second.stop()


async def test_record_falls_back_to_process_queue_when_redis_down(link_id, names):
    down = ClickRecorder(stream=ClickStream(f"redis://127.0.0.1:{free_port()}/0", consumer="cut-off"))
    down.start()
    clicks = make_clicks(link_id, 5)
    try:
        for click in clicks:
            await down.record(click)
        await asyncio.wait_for(down.flush(), 10)
        assert await stored_count(clicks) == 5
    finally:
        await down.stop(timeout=0.5)


async def test_clicks_added_together_share_an_entry_and_old_single_click_entries_are_still_read(link_id, names):
    producer = ClickStream(REDIS_URL, consumer="producer")
    clicks = make_clicks(link_id, 30)
    entries = await asyncio.gather(*(producer.add(click) for click in clicks))
    assert len(set(entries)) == 1  # added in the same turn of the loop: one entry, one round trip
    old = make_clicks(link_id, 1)[0]
    redis.Redis.from_url(REDIS_URL).xadd(names[0], {click_stream.FIELD: json.dumps(old.to_dict())})  # as earlier versions wrote
    await producer.close()

    writer = instance("writer")
    writer.start()
    try:
        assert await wait_stored([*clicks, old]) == 31
    finally:
        await writer.stop()
    assert redis.Redis.from_url(REDIS_URL).xlen(names[0]) == 0


async def test_a_redirects_click_that_redis_refuses_is_kept_and_stored_by_this_process(link_id, names):
    recorder = ClickRecorder(spool_dir=None, stream=ClickStream(f"redis://127.0.0.1:{free_port()}/0", consumer="cut-off"))
    first, second = make_clicks(link_id, 2)
    assert recorder.record_nowait(first)  # handed to the stream without waiting, as the redirect does
    await recorder._shared.adds_done()  # the stream refused it...
    assert recorder.queue.qsize() == 1  # ...so it waits in this process instead
    assert not recorder.record_nowait(second)  # Redis failed just now: the redirect awaits `record`
    await recorder.record(second)
    assert recorder.queue.qsize() == 2
    recorder.start()
    try:
        assert await wait_stored([first, second]) == 2
    finally:
        await recorder.stop()


async def test_a_broken_line_costs_only_itself_and_a_broken_entry_leaves_the_stream(link_id, names, caplog):
    good = make_clicks(link_id, 2)
    client = redis.Redis.from_url(REDIS_URL)
    client.xadd(names[0], {click_stream.FIELD_MANY: good[0].to_line() + b'{"link_id": "not a click"\n' + good[1].to_line()})
    client.xadd(names[0], {click_stream.FIELD_MANY: b"garbage\n"})
    writer = instance("writer")
    writer.start()
    try:
        assert await wait_stored(good) == 2
        deadline = time.monotonic() + 5
        while client.xlen(names[0]) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert client.xlen(names[0]) == 0  # neither entry comes back
    finally:
        await writer.stop()
    assert caplog.text.count("not a click; dropped") == 2
