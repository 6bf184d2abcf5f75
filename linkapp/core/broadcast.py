"""Telling every app instance something at once, over Redis pub/sub (with REDIS_URL).

Each instance keeps one subscription for the channels the app hands `listener` at start-up, and
hands each message to that channel's handler. An instance hears its own messages back and skips
them: it has acted on them already. Redis being away costs freshness, never data: after every
(re)connection each channel's `connected` runs, since what was said meanwhile is lost to us.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from linkapp.core import redis_client, retry
from linkapp.core.config import settings

log = logging.getLogger(__name__)
# How long a publish may take before the message is given up (the others catch up their own way).
PUBLISH_TIMEOUT = 2.0
# Resubscribing is not urgent: a missed message costs freshness only.
RESUBSCRIBE_DELAYS = (0.5, 1.0, 2.0, 5.0)
_STARTED = secrets.token_hex(8)


def sender() -> str:
    """This process, as the sender of its messages. The pid is part of it: server workers are
    forked from a process that imported this module, and share whatever it drew at random."""
    return f"{_STARTED}-{os.getpid()}"


@dataclass(frozen=True)
class Channel:
    setting: str  # the setting that names the channel (read when used: tests give each their own)
    heard: Callable[[str], None]  # a message from another instance
    connected: Callable[[], None]  # (re)subscribed: messages sent meanwhile are lost

    @property
    def name(self) -> str:
        return getattr(settings, self.setting)


async def publish(to: Channel, data: str) -> bool:
    """Send `data` to the other instances; False when Redis could not take it (or is not set)."""
    if not settings.REDIS_URL:
        return False
    message = json.dumps({"from": sender(), "data": data})
    try:
        await redis_client.shared(PUBLISH_TIMEOUT).publish(to.name, message)
    except (RedisError, OSError):
        return False
    return True


_sending: dict[str, asyncio.Task] = {}
_again: set[str] = set()


def publish_soon(to: Channel, data: str, on_failure: Callable[[], None] | None = None) -> None:
    """Publish without waiting, for news where only the latest matters: while one message is
    on its way, further calls send one more after it, not one each."""
    if not settings.REDIS_URL:
        return
    running = _sending.get(to.name)
    if running is not None and not running.done() and running.get_loop() is asyncio.get_running_loop():
        _again.add(to.name)
        return
    _sending[to.name] = asyncio.create_task(_send_latest(to, data, on_failure), name=f"linkapp-publish-{to.setting}")


async def _send_latest(to: Channel, data: str, on_failure: Callable[[], None] | None) -> None:
    while True:
        if not await publish(to, data) and on_failure is not None:
            on_failure()
        if to.name not in _again:
            return
        _again.discard(to.name)


def _dispatch(channels: dict[str, Channel], message: dict) -> None:
    name = message.get("channel")
    name = name.decode() if isinstance(name, bytes) else name
    target = channels.get(name)
    if target is None:
        return
    try:
        body = json.loads(message["data"])
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict):
        if body.get("from") == sender():
            return
        data = body.get("data")
    else:  # a bare value, as instances before this format sent it
        raw = message.get("data")
        data = raw.decode() if isinstance(raw, bytes) else raw
    target.heard(str(data))


async def listen(channels: Sequence[Channel], ready: asyncio.Event | None = None) -> None:
    """Hand every message on `channels` to its handler, for as long as the task runs."""
    failures = 0
    while True:
        by_name = {each.name: each for each in channels}
        try:
            async with Redis.from_url(settings.REDIS_URL) as client, client.pubsub() as pubsub:
                await pubsub.subscribe(*by_name)
                for each in by_name.values():
                    each.connected()
                failures = 0
                if ready is not None:
                    ready.set()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        _dispatch(by_name, message)
        except (RedisError, OSError) as exc:
            delay = retry.delay(failures, RESUBSCRIBE_DELAYS)
            failures += 1
            log.warning("broadcast listener lost Redis (%s); retrying in %.1fs", exc.__class__.__name__, delay)
            await asyncio.sleep(delay)


@contextlib.asynccontextmanager
async def listener(channels: Sequence[Channel]):
    """Lifespan task: the listener runs while the app does, when REDIS_URL is set."""
    if not settings.REDIS_URL or not channels:
        yield
        return
    task = asyncio.create_task(listen(channels), name="linkapp-broadcast")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
