"""A link's max_clicks holds across app instances, counted on one Redis counter (real server)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio

from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.services.clicks.recorder import recorder
from linkapp.services.links import redirects
from linkapp.services.links.allowance import Allowance
from tests import redis_server
from tests.factories import create_link, register, short_path

# A person's browser: only people's clicks use up a limit.
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"}

pytestmark = pytest.mark.skipif(bool(redis_server.missing()), reason=redis_server.missing() or "")


@pytest.fixture
async def prefix(monkeypatch):
    """REDIS_URL set, and counters under a prefix of this test's own (deleted afterwards)."""
    name = f"linkapp-test:allowance:{uuid.uuid4().hex}"
    monkeypatch.setattr(settings, "REDIS_URL", redis_server.REDIS_URL)
    monkeypatch.setattr(settings, "ALLOWANCE_KEY_PREFIX", name)
    yield name
    async with redis.asyncio.Redis.from_url(redis_server.REDIS_URL) as client:
        keys = [key async for key in client.scan_iter(f"{name}:*")]
        if keys:
            await client.delete(*keys)


async def test_instances_share_one_limit_under_concurrent_clicks(client, prefix):
    user = await register(client)
    link = await create_link(client, user, max_clicks=5)
    for _ in range(2):  # two clicks counted before any instance looks at the limit
        assert (await client.get(short_path(link), headers=BROWSER)).status_code == 302
    await recorder.flush()
    redirects.allowance.clear()
    link_id = ids.decode_link_id(link["id"])

    first, second = Allowance(), Allowance()
    taken = await asyncio.gather(*[(first if n % 2 else second).take(link_id, 5) for n in range(40)])

    assert taken.count(True) == 3
    assert await first.used(link_id) == await second.used(link_id) == 5


async def test_redirect_sees_clicks_another_instance_counted(client, prefix):
    user = await register(client)
    link = await create_link(client, user, max_clicks=3)
    link_id = ids.decode_link_id(link["id"])
    other_instance = Allowance()
    assert [await other_instance.take(link_id, 3) for _ in range(2)] == [True, True]

    statuses = [(await client.get(short_path(link), headers=BROWSER)).status_code for _ in range(3)]

    assert statuses == [302, 410, 410]


async def test_limit_still_holds_in_process_when_redis_is_unreachable(client, monkeypatch, caplog):
    user = await register(client)
    link = await create_link(client, user, max_clicks=2)
    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:1/0")

    statuses = [(await client.get(short_path(link), headers=BROWSER)).status_code for _ in range(3)]

    assert statuses == [302, 302, 410]
    assert "counted in this process only" in caplog.text


async def test_deleting_a_link_drops_its_shared_counter(client, prefix):
    user = await register(client)
    link = await create_link(client, user, max_clicks=3)
    assert (await client.get(short_path(link), headers=BROWSER)).status_code == 302
    key = f"{prefix}:{ids.decode_link_id(link['id'])}"
    async with redis.asyncio.Redis.from_url(redis_server.REDIS_URL) as other:
        assert await other.get(key) == b"1"
        assert (await client.delete(f"/api/v1/links/{link['id']}", headers=user["headers"])).status_code == 204
        assert await other.exists(key) == 0
