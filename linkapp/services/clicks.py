"""The click pipeline: the redirect hands clicks to a bounded queue; one writer stores them in batches."""

from __future__ import annotations

import asyncio
import logging
from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services import click_store
from linkapp.services.live import feed

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)


class ClickRecorder:
    """Bounded in-process queue drained by one background writer.

    `record` never drops a click: when the queue is full it waits (after the response has
    been sent, so the visitor does not notice) until the writer has made room.
    """

    def __init__(self, maxsize: int | None = None) -> None:
        self._maxsize = maxsize or settings.CLICK_QUEUE_SIZE
        self._queue: asyncio.Queue[Click | None] | None = None
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self.written = 0
        # Human clicks queued or being written, per link, and who waits for them to land.
        self._unwritten: dict[int, int] = {}
        self._waiters: dict[int, asyncio.Event] = {}

    @property
    def queue(self) -> asyncio.Queue[Click | None]:
        if self._queue is None:
            self._queue = asyncio.Queue(self._maxsize)
        return self._queue

    async def record(self, click: Click) -> None:
        if not click.is_bot:
            self._unwritten[click.link_id] = self._unwritten.get(click.link_id, 0) + 1
        try:
            self.queue.put_nowait(click)
        except asyncio.QueueFull:
            log.warning("click queue full (%d waiting); holding the request until the writer catches up", self.queue.qsize())
            await self.queue.put(click)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="linkapp-click-writer")

    async def flush(self) -> None:
        """Wait until every click recorded so far is in the database."""
        if self._task is None or self._task.done():
            self.start()
        await self.queue.join()

    async def wait_written(self, link_id: int) -> None:
        """Wait until every human click recorded so far for `link_id` is in the database.

        Unlike `flush`, this does not wait for other links' clicks, so it ends even while
        the queue never empties under steady traffic."""
        while self._unwritten.get(link_id):
            if self._task is None or self._task.done():
                self.start()
            await self._waiters.setdefault(link_id, asyncio.Event()).wait()

    def _mark_written(self, batch: list[Click]) -> None:
        for click in batch:
            if click.is_bot:
                continue
            left = self._unwritten.get(click.link_id, 0) - 1
            if left > 0:
                self._unwritten[click.link_id] = left
                continue
            self._unwritten.pop(click.link_id, None)
            waiter = self._waiters.pop(click.link_id, None)
            if waiter is not None:
                waiter.set()

    async def stop(self) -> None:
        """Write everything still queued, then end the writer (on shutdown)."""
        if self._task is None:
            return
        self._stopping.set()
        await self.queue.put(None)  # wakes a writer waiting for work
        await self._task
        self._task = None

    async def _run(self) -> None:
        queue = self.queue
        while True:
            item = await queue.get()
            batch = [] if item is None else [item]
            taken = 1
            if not self._stopping.is_set() and queue.qsize() < settings.CLICK_BATCH_SIZE:
                # Let a burst gather so that one round trip writes many clicks; stop cuts it short.
                try:
                    await asyncio.wait_for(self._stopping.wait(), settings.CLICK_FLUSH_INTERVAL)
                except TimeoutError:
                    pass
            while len(batch) < settings.CLICK_BATCH_SIZE and not queue.empty():
                item = queue.get_nowait()
                taken += 1
                if item is not None:
                    batch.append(item)
            if batch:
                await self._write_with_retry(batch)
                self._mark_written(batch)
            for _ in range(taken):
                queue.task_done()
            if self._stopping.is_set() and queue.empty():
                return

    async def _write_with_retry(self, batch: list[Click]) -> None:
        attempt = 0
        while True:
            try:
                await write_clicks(batch)
                self.written += len(batch)
                feed.publish()  # open dashboards refresh
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                log.exception("writing %d clicks failed; retrying in %.1fs", len(batch), delay)
                attempt += 1
                await asyncio.sleep(delay)


async def write_clicks(batch: list[Click]) -> None:
    """Store a batch: events and rollups in one transaction (see click_store)."""
    await click_store.store(batch)


recorder = ClickRecorder()
