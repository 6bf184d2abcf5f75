"""News between app instances over Redis pub/sub (real server): stored clicks reach the
dashboards of every instance, and an instance does not act twice on its own news."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
import redis.asyncio

from linkapp.core import broadcast, ids
from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services.clicks import feed
from linkapp.services.clicks.writer import write_clicks
from tests import redis_server
from tests.factories import create_link, register

pytestmark = pytest.mark.skipif(bool(redis_server.missing()), reason=redis_server.missing() or "")


@pytest.fixture
def channel(monkeypatch) -> str:
    return redis_server.own_channel(monkeypatch, "CLICKS_CHANNEL")


@pytest.fixture
async def listening(channel):
    async with redis_server.listening(feed.CHANNEL):
        yield


async def _say(channel: str, sender: str, data: str = "") -> None:
    async with redis.asyncio.Redis.from_url(redis_server.REDIS_URL) as other:
        await other.publish(channel, json.dumps({"from": sender, "data": data}))


async def test_clicks_stored_by_another_instance_wake_a_dashboard_here(channel, listening):
    version = feed.feed.version
    waiting = asyncio.create_task(feed.feed.wait(version, timeout=5))
    # Meanwhile a message of ours makes a round trip to Redis (news this instance skips: see below).
    # The dashboard has been waiting throughout: woken without news, it would be done by now.
    await _say(channel, sender=broadcast.sender())
    assert not waiting.done(), "nothing was stored yet"

    await _say(channel, sender="another-instance")

    assert await asyncio.wait_for(waiting, 3) > version


async def test_own_news_coming_back_does_not_refresh_twice(channel, listening):
    version = feed.feed.version
    await _say(channel, sender=broadcast.sender())  # as if this instance had published it
    await _say(channel, sender="another-instance")  # a marker: once it is heard, ours was too

    deadline = asyncio.get_running_loop().time() + 3
    while feed.feed.version == version and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    assert feed.feed.version == version + 1


async def test_storing_clicks_tells_the_other_instances(client, channel):
    user = await register(client)
    link = await create_link(client, user)
    async with redis.asyncio.Redis.from_url(redis_server.REDIS_URL) as other, other.pubsub() as pubsub:
        await pubsub.subscribe(channel)
        await pubsub.get_message(timeout=1)  # the subscription's confirmation
        version = feed.feed.version

        stored = await write_clicks([Click(link_id=ids.decode_link_id(link["id"]), clicked_at=datetime.now(UTC), ip_address="203.0.113.9")])

        assert stored == 1
        assert feed.feed.version > version, "this instance's dashboards refresh at once"
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=3)
        assert message is not None and json.loads(message["data"])["from"] == broadcast.sender()


async def test_news_during_a_send_goes_out_once_more_not_once_each(channel):
    async with redis.asyncio.Redis.from_url(redis_server.REDIS_URL) as other, other.pubsub() as pubsub:
        await pubsub.subscribe(channel)
        await pubsub.get_message(timeout=1)
        for _ in range(50):  # one batch stored after another, faster than Redis answers
            broadcast.publish_soon(feed.CHANNEL, "")
        received = []
        while (message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)) is not None:
            received.append(message)
    assert len(received) == 2


async def test_a_dashboard_catches_up_when_the_listener_reconnects(channel):
    version = feed.feed.version
    async with redis_server.listening(feed.CHANNEL):
        assert feed.feed.version > version, "news sent while it was not listening is lost: dashboards reload once"


async def test_storing_works_and_warns_once_when_redis_is_unreachable(client, monkeypatch, caplog):
    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:1/0")
    feed._unannounced.reset()
    user = await register(client)
    link = await create_link(client, user)
    click = lambda: Click(link_id=ids.decode_link_id(link["id"]), clicked_at=datetime.now(UTC), ip_address="203.0.113.9")  # noqa: E731

    assert await write_clicks([click()]) == 1
    assert await write_clicks([click()]) == 1
    for _ in range(100):  # the announcements are sent in the background
        if "could not tell the other instances" in caplog.text:
            break
        await asyncio.sleep(0.02)
    assert caplog.text.count("could not tell the other instances") == 1
