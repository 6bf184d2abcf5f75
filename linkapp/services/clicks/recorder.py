"""The click pipeline: the redirect hands clicks to a queue; a background writer stores them in batches.

The queue is in process, or a Redis stream shared by every instance when REDIS_URL is set (the
in-process queue then only takes clicks Redis refused). Nothing is dropped: a full queue holds
the request (after its response went out), failed writes are retried, and clicks the database
cannot take at shutdown, or while it is down and the queue fills, go to the spool file, which
is replayed when the database answers again.

`ClickRecorder` routes each click and starts, flushes and stops the parts together: the
in-process queue (`local_queue`), the shared stream (`shared_queue`), the writer (`writer`) and
the spool's replay (`spool`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from redis.exceptions import RedisError

from linkapp.core import metrics
from linkapp.core.config import settings
from linkapp.core.logs import Throttled
from linkapp.models.click import Click
from linkapp.services.clicks import spool
from linkapp.services.clicks.journal import ClickJournal
from linkapp.services.clicks.local_queue import LocalQueue
from linkapp.services.clicks.shared_queue import SharedQueue
from linkapp.services.clicks.stream import ClickStream
from linkapp.services.clicks.writer import BatchWriter, write_clicks

log = logging.getLogger(__name__)

FULL_LOG_EVERY = 5.0  # seconds between "queue full" warnings; the metric counts every wait


class ClickRecorder:
    """Takes clicks from the redirect and stores them, never dropping one.

    Args:
        maxsize: the in-process queue's size (CLICK_QUEUE_SIZE by default); with Redis, the
            stream's length at which producers are slowed down.
        spool_dir: where clicks wait while the database is down (SPOOL_DIR by default).
        stream: the shared stream; by default one from REDIS_URL, none without it.
    """

    def __init__(self, maxsize: int | None = None, *, spool_dir: Path | None = None, stream: ClickStream | None = None) -> None:
        self._local = LocalQueue(maxsize or settings.CLICK_QUEUE_SIZE)
        self._shared = SharedQueue(stream)
        self._spool = spool.Spooler(write_clicks, spool_dir, on_replayed=self._local.release)
        self._journal = ClickJournal(spool_dir)
        self._stopping = asyncio.Event()
        self._writer = BatchWriter(self._local, self._spool, self._stopping, depth=self.depth, settle=self._journal.settle)
        self._task: asyncio.Task | None = None
        self._full_log = Throttled(log, FULL_LOG_EVERY)
        self._fallbacks: set[asyncio.Task] = set()

    @property
    def queue(self) -> asyncio.Queue[Click | None]:
        """The in-process queue (made on first use, inside the running loop)."""
        return self._local.queue

    @property
    def stream(self) -> ClickStream | None:
        """The shared stream, once REDIS_URL or the caller chose one."""
        return self._shared.stream

    @property
    def written(self) -> int:
        """Clicks this process's writer has stored."""
        return self._writer.written

    def depth(self) -> int:
        """Clicks waiting: this process's queue plus, with Redis, the shared stream's backlog."""
        return self._local.queue.qsize() + self._shared.backlog

    def keep(self, click: Click) -> None:
        """Put `click` on disk, in this process's journal: call before its redirect goes out, so
        that a crash after the response cannot lose it (see journal)."""
        self._journal.append(click)

    def record_nowait(self, click: Click) -> bool:
        """Queue `click` at once if that needs no waiting (the in-process queue with room, or the
        stream while it has room); False otherwise, and the caller awaits `record`. Spares the
        redirect a task per click."""
        # The depth gauge is left to the writer (after each batch): a gauge per click cost the redirect a lock.
        if self._closed():
            return False
        if self._shared.client() is None:
            return self._local.put_nowait(click)
        # A full stream: `record` adds the click and then holds the request (back-pressure).
        return self._shared.backlog < self._local.maxsize and self._shared.add_soon(click, self._added)

    def _added(self, click: Click, added: bool) -> None:
        """The stream took `click` (`record_nowait`), or it did not and this process keeps it."""
        if added:
            self._journal.settle((click,))  # safe in Redis now
        elif self._closed():
            self._keep_task(self._writer.spill([click], at_stop=True))
        elif not self._local.put_nowait(click):
            self._note_full()
            self._keep_task(self._local.put(click))

    def _keep_task(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._fallbacks.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._fallbacks.discard)

    async def record(self, click: Click) -> None:
        """Queue `click` for storing; waits (never drops) while the queue is full."""
        if await self._shared.add(click):
            self._journal.settle((click,))  # safe in Redis now
            metrics.click_queue_depth.set(self.depth())
            if self._shared.backlog >= self._local.maxsize:
                self._note_full()  # the click is safe in Redis already: this only slows producers
                await self._shared.stream.wait_for_room(self._local.maxsize, self._stopping)
            return
        if self._closed():
            await self._writer.spill([click], at_stop=True)  # a straggler after shutdown: straight to disk
            return
        if not self._local.put_nowait(click):
            self._note_full()
            await self._local.put(click)
        metrics.click_queue_depth.set(self.depth())

    def _note_full(self) -> None:
        metrics.click_queue_full.inc()
        self._full_log.warning("click queue full (%d waiting); holding the request until the writer catches up", self.depth())

    def _closed(self) -> bool:
        return self._stopping.is_set() and (self._task is None or self._task.done())

    def start(self) -> None:
        """Start the writer (and the stream reader and spool replay); idempotent."""
        if self._task is None or self._task.done():
            self._journal.recover()  # a crashed run's journal goes to the spool, whose replay stores it
            self._stopping.clear()
            self._task = asyncio.create_task(self._writer.run(), name="linkapp-click-writer")
        self._shared.start_reader(self._writer.write, self._stopping)
        self._spool.start()

    async def flush(self) -> None:
        """Wait until every click recorded so far by this process is in the database."""
        self.start()
        await self._shared.adds_done()
        await self._local.queue.join()
        while self._spool.pending:  # spilled while the database was down: wait for the replay
            await asyncio.sleep(0.02)
        if self._shared.last_entry is not None:
            await self._stream_stored(self._shared.last_entry)

    async def wait_written(self, link_id: int) -> None:
        """Wait until every human click recorded so far for `link_id` is in the database.

        Unlike `flush`, this does not wait for other links' clicks, so it ends even while
        the queue never empties under steady traffic."""
        await self._shared.adds_done()
        while self._local.unwritten(link_id):
            self.start()
            await self._local.wait_released(link_id)
        if self._shared.last_entry is not None:
            # Entries up to a fixed id: this ends under steady traffic too.
            await self._stream_stored(self._shared.last_entry)

    async def _stream_stored(self, entry: str) -> None:
        self.start()  # our own reader, in case no other instance runs one
        await self._shared.stream.wait_stored(entry)

    async def stop(self, timeout: float | None = None) -> None:
        """Store what is left, or spool it if the database stays down (on shutdown).

        Args:
            timeout: how long the database may keep failing (CLICK_STOP_TIMEOUT by default)
                before the rest goes to the spool file (in-process clicks) or stays in the
                stream for another instance.
        """
        if self._task is None:
            return
        loop = asyncio.get_running_loop()
        self._writer.deadline = loop.time() + (timeout if timeout is not None else settings.CLICK_STOP_TIMEOUT)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._shared.adds_done(), max(self._writer.deadline - loop.time(), 0.01))
        if self._fallbacks:
            await asyncio.wait(set(self._fallbacks), timeout=max(self._writer.deadline - loop.time(), 0.01))
        if self._shared.last_entry is not None:
            with contextlib.suppress(TimeoutError, RedisError, OSError):
                await asyncio.wait_for(self._stream_stored(self._shared.last_entry), max(self._writer.deadline - loop.time(), 0.01))
        self._stopping.set()
        self._local.wake()
        await self._task
        self._task = None
        # A click that got into the queue as the writer finished has no one left to write it.
        leftover = self._local.take_all()
        self._local.done(len(leftover))
        await self._writer.spill([click for click in leftover if click is not None], at_stop=True)
        await self._shared.stop_reader()
        await self._spool.stop()
        self._journal.close()


recorder = ClickRecorder()
