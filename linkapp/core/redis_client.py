"""One shared Redis client per event loop (with REDIS_URL): a connection belongs to the loop
that opened it, and the app's loop, the click writer's thread and each test have their own."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from linkapp.core.config import settings

_clients: dict[tuple[asyncio.AbstractEventLoop, str, float], Redis] = {}


def shared(timeout: float) -> Redis:
    """The client for this loop and REDIS_URL, giving up on a call after `timeout` seconds."""
    key = (asyncio.get_running_loop(), settings.REDIS_URL or "", timeout)
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = Redis.from_url(settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout)
    return client
