"""A changed link reaches every instance's redirect at once, through Redis (real server)."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis.asyncio
from sqlalchemy import update

from linkapp import db as database
from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.models.link import Link
from linkapp.services.links import changes as link_changes
from tests import redis_server
from tests.factories import create_link, register, short_path

pytestmark = pytest.mark.skipif(bool(redis_server.missing()), reason=redis_server.missing() or "")


@pytest.fixture
def channel(monkeypatch) -> str:
    return redis_server.own_channel(monkeypatch, "LINK_CHANNEL")


@pytest.fixture
async def listening(channel):
    async with redis_server.listening(link_changes.CHANNEL):
        yield


async def _location(client, link: dict) -> str:
    response = await client.get(short_path(link))
    assert response.status_code == 302
    return response.headers["location"]


async def _redirects_to(client, link: dict, url: str, timeout: float = 3.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await _location(client, link) == url:
            return True
        await asyncio.sleep(0.02)
    return False


async def test_change_announced_by_another_instance_reaches_this_cache_at_once(client, channel, listening):
    user = await register(client)
    link = await create_link(client, user, url="https://example.com/old")
    assert await _location(client, link) == "https://example.com/old"  # now cached here

    # Another instance edits the link: the row changes, and it announces the change.
    link_id = ids.decode_link_id(link["id"])
    async with database.session() as db:
        await db.execute(update(Link).where(Link.id == link_id).values(url="https://example.com/new"))
        await db.commit()
    assert await _location(client, link) == "https://example.com/old", "the cache should still answer before the announcement"
    async with redis.asyncio.Redis.from_url(redis_server.REDIS_URL) as other:
        await other.publish(channel, str(link_id))

    assert await _redirects_to(client, link, "https://example.com/new")


async def test_editing_a_link_announces_it_to_the_other_instances(client, channel):
    user = await register(client)
    link = await create_link(client, user)
    async with redis.asyncio.Redis.from_url(redis_server.REDIS_URL) as other, other.pubsub() as pubsub:
        await pubsub.subscribe(channel)
        await pubsub.get_message(timeout=1)  # the subscription's confirmation
        response = await client.patch(f"/api/v1/links/{link['id']}", json={"url": "https://example.com/edited"}, headers=user["headers"])
        assert response.status_code == 200
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=3)
        assert message is not None and int(json.loads(message["data"])["data"]) == ids.decode_link_id(link["id"])

        assert (await client.delete(f"/api/v1/links/{link['id']}", headers=user["headers"])).status_code == 204
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=3)
        assert message is not None and int(json.loads(message["data"])["data"]) == ids.decode_link_id(link["id"])


async def test_edit_works_here_when_redis_is_unreachable(client, monkeypatch, caplog):
    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:1/0")
    user = await register(client)
    link = await create_link(client, user, url="https://example.com/before")
    assert await _location(client, link) == "https://example.com/before"

    response = await client.patch(f"/api/v1/links/{link['id']}", json={"url": "https://example.com/after"}, headers=user["headers"])

    assert response.status_code == 200
    assert await _location(client, link) == "https://example.com/after"
    assert "could not announce the change" in caplog.text


async def test_listener_drops_the_cache_when_it_reconnects(client, channel):
    user = await register(client)
    link = await create_link(client, user, url="https://example.com/first")
    assert await _location(client, link) == "https://example.com/first"
    async with database.session() as db:
        await db.execute(update(Link).where(Link.id == ids.decode_link_id(link["id"])).values(url="https://example.com/missed"))
        await db.commit()

    # A (re)connecting listener cannot know what it missed, so it forgets everything.
    async with redis_server.listening(link_changes.CHANNEL):
        assert await _location(client, link) == "https://example.com/missed"
