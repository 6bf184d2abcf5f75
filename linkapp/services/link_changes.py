"""Telling every app instance that a link changed, so that none keeps redirecting the old way.

Each instance caches short codes for LINK_CACHE_TTL seconds. A change invalidates this
instance's cache at once; with REDIS_URL it is also published on LINK_CHANNEL, and every
instance's listener drops the link from its own cache. Redis being away costs freshness, never
the change itself: the other instances then catch up within the TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from linkapp.core.config import settings
from linkapp.services import redirects

log = logging.getLogger(__name__)
# How long a publish may take before the change is left to the other instances' TTL.
PUBLISH_TIMEOUT = 2.0
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0)


async def announce(link_id: int) -> None:
    """Call after a link's change is committed: this instance forgets it now, the others as
    soon as they hear of it."""
    redirects.invalidate(link_id)
    if not settings.REDIS_URL:
        return
    try:
        async with Redis.from_url(settings.REDIS_URL, socket_timeout=PUBLISH_TIMEOUT, socket_connect_timeout=PUBLISH_TIMEOUT) as client:
            await client.publish(settings.LINK_CHANNEL, str(link_id))
    except (RedisError, OSError) as exc:
        log.warning("could not announce the change of link %d (%s); other instances follow within %.0fs", link_id, exc.__class__.__name__, settings.LINK_CACHE_TTL)


def _heard(message: dict) -> None:
    try:
        link_id = int(message["data"])
    except (TypeError, ValueError):
        log.warning("ignored a malformed link-change message: %r", message.get("data"))
        return
    redirects.invalidate(link_id)


async def listen(ready: asyncio.Event | None = None) -> None:
    """Drop each announced link from this instance's cache, for as long as the task runs.

    After every (re)connection the whole cache is dropped: changes announced while we were
    not listening are lost to us."""
    failures = 0
    while True:
        try:
            async with Redis.from_url(settings.REDIS_URL) as client, client.pubsub() as pubsub:
                await pubsub.subscribe(settings.LINK_CHANNEL)
                redirects.cache.clear()
                failures = 0
                if ready is not None:
                    ready.set()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        _heard(message)
        except (RedisError, OSError) as exc:
            delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
            failures += 1
            log.warning("link-change listener lost Redis (%s); retrying in %.1fs", exc.__class__.__name__, delay)
            await asyncio.sleep(delay)


@contextlib.asynccontextmanager
async def listener():
    """Lifespan task: the listener runs while the app does, when REDIS_URL is set."""
    if not settings.REDIS_URL:
        yield
        return
    task = asyncio.create_task(listen(), name="linkapp-link-changes")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
