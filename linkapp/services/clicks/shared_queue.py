"""The click queue every instance shares when REDIS_URL is set, as this process uses it.

Clicks go to the Redis stream (see `stream`) first. After a failure they go to the in-process
queue for STREAM_RETRY_AFTER seconds, rather than paying one slow failure per click. It keeps
this process's latest entry, so that a flush can wait until some writer stored it, and runs
this process's reader, which stores what any instance added.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services.clicks.stream import ClickStream

log = logging.getLogger(__name__)

STREAM_RETRY_AFTER = 5.0  # seconds clicks bypass a Redis that just failed


class SharedQueue:
    """This process's side of the shared stream: adding, falling back, and reading.

    Args:
        stream: the stream to use; None makes one from REDIS_URL on first use (none without it).
    """

    def __init__(self, stream: ClickStream | None = None) -> None:
        self.stream = stream
        self.last_entry: str | None = None  # this process's latest stream entry
        self._retry_at = 0.0
        self._reader: asyncio.Task | None = None

    def client(self) -> ClickStream | None:
        """The stream, made on first use when REDIS_URL is set; None without Redis."""
        if self.stream is None and settings.REDIS_URL:
            self.stream = ClickStream(settings.REDIS_URL)
        return self.stream

    @property
    def backlog(self) -> int:
        """The stream's length when last seen (0 without Redis)."""
        return self.stream.backlog if self.stream else 0

    async def add(self, click: Click) -> bool:
        """Add `click` to the stream; False when there is none or it failed lately: the caller keeps the click."""
        stream = self.client()
        if stream is None or time.monotonic() < self._retry_at:
            return False
        try:
            # Shielded: a request task cancelled now (shutdown) must not lose its click halfway.
            entry = await asyncio.shield(stream.add(click))
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return False
        self.last_entry = entry
        return True

    def add_soon(self, click: Click, done: Callable[[Click, bool], None]) -> bool:
        """`add` without waiting (the redirect's path: no task per click): `done(click, added)`
        is called once the stream took the click or failed to, when added is False the caller
        keeps it. Returns False, without calling `done`, when there is no stream or it failed
        lately."""
        stream = self.client()
        if stream is None or time.monotonic() < self._retry_at:
            return False
        stream.add_soon(click).add_done_callback(lambda future: done(click, self._added(future)))
        return True

    def _added(self, future: asyncio.Future[str]) -> bool:
        if future.cancelled():  # the loop closed under it
            return False
        exc = future.exception()
        if exc is not None:
            if isinstance(exc, (RedisError, OSError)):
                self._failed(exc)
            else:
                log.error("adding a click to the stream failed", exc_info=exc)
            return False
        self.last_entry = future.result()
        return True

    def _failed(self, exc: BaseException) -> None:
        # For a while, straight to the in-process queue: not one slow failure per click.
        if time.monotonic() >= self._retry_at:
            log.warning("click stream unavailable (%s); clicks stay in this process for %.0fs", exc, STREAM_RETRY_AFTER)
        self._retry_at = time.monotonic() + STREAM_RETRY_AFTER

    async def adds_done(self) -> None:
        """Wait until every click added so far reached the stream or failed to."""
        if self.stream is not None:
            await self.stream.adds_done()

    def start_reader(self, write: Callable[[list[Click]], Awaitable[bool]], stopping: asyncio.Event) -> None:
        """Read and store the stream through `write` until `stopping` (idempotent; nothing without Redis)."""
        stream = self.client()
        if stream is not None and (self._reader is None or self._reader.done()):
            run = stream.run(write, stopping, batch_size=settings.CLICK_BATCH_SIZE, interval=settings.CLICK_FLUSH_INTERVAL)
            self._reader = asyncio.create_task(run, name="linkapp-click-stream")

    async def stop_reader(self) -> None:
        """Wait for the reader to end (`stopping` is set), then leave the group and close the connections."""
        if self._reader is None:
            return
        try:
            await self._reader
        except Exception:  # a crashed reader left its entries pending: another writer claims them
            log.exception("the click stream reader had failed")
        self._reader = None
        await self.stream.retire()
        await self.stream.close()
