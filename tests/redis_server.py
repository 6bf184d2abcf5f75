"""The real Redis the Redis tests run against (127.0.0.1:6379 unless REDIS_TEST_URL says otherwise)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import redis

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


def missing() -> str | None:
    """Why the Redis tests cannot run here, or None when Redis answers."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"no Redis answers at {REDIS_URL}: {exc.__class__.__name__}"
    return None


def own_channel(monkeypatch, setting: str) -> str:
    """REDIS_URL set, and the channel named by `setting` made this test's own."""
    from linkapp.core.config import settings

    name = f"linkapp-test:{setting.lower()}:{uuid.uuid4().hex}"
    monkeypatch.setattr(settings, "REDIS_URL", REDIS_URL)
    monkeypatch.setattr(settings, setting, name)
    return name


@contextlib.asynccontextmanager
async def listening(*channels) -> AsyncIterator[None]:
    """This instance's broadcast listener on `channels`, subscribed, for the block."""
    from linkapp.core import broadcast

    ready = asyncio.Event()
    task = asyncio.create_task(broadcast.listen(list(channels), ready))
    try:
        await asyncio.wait_for(ready.wait(), 5)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.contextmanager
def server_names() -> Iterator[dict[str, str]]:
    """Environment for a live server on the real Redis with keys, stream and channels of its own
    (other runs' leftovers cannot reach it); its keys are deleted afterwards."""
    run = f"linkapp-test:{uuid.uuid4().hex}"
    names = {
        "REDIS_URL": REDIS_URL,
        "CLICK_STREAM": f"{run}:clicks",
        "BURST_KEY_PREFIX": f"{run}:bursts",
        "ALLOWANCE_KEY_PREFIX": f"{run}:allowance",
        "INSIGHT_KEY_PREFIX": f"{run}:insights",
        "LINK_CHANNEL": f"{run}:links",
        "CLICKS_CHANNEL": f"{run}:clicks-stored",
    }
    try:
        yield names
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{run}:*"):
            client.delete(key)
