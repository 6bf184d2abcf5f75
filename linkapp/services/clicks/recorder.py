"""The click pipeline: the redirect hands clicks to a queue; a background writer stores them in batches.

The queue is in process, or a Redis stream shared by every instance when REDIS_URL is set (the
in-process queue then only takes clicks Redis refused). Nothing is dropped: a full queue holds
the request (after its response went out), failed writes are retried, and clicks the database
cannot take at shutdown, or while it is down and the queue fills, go to the spool file, which
is replayed when the database answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from pathlib import Path

from redis.exceptions import RedisError

from linkapp.core import metrics
from linkapp.core.config import settings
from linkapp.core.logs import Throttled
from linkapp.models.click import Click
from linkapp.services.clicks import feed as live
from linkapp.services.clicks import rejects, spool
from linkapp.services.clicks import store as click_store
from linkapp.services.clicks.stream import ClickStream
from linkapp.services.clicks.writer_thread import store_thread

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)
FULL_LOG_EVERY = 5.0  # seconds between "queue full" warnings; the metric counts every wait
SPILL_RETRY_AFTER = 30.0
STREAM_RETRY_AFTER = 5.0  # seconds clicks bypass a Redis that just failed


class ClickRecorder:
    """Takes clicks from the redirect and stores them, never dropping one."""

    def __init__(self, maxsize: int | None = None, *, spool_dir: Path | None = None, stream: ClickStream | None = None) -> None:
        self._maxsize = maxsize or settings.CLICK_QUEUE_SIZE
        self._spool = spool.Spooler(write_clicks, spool_dir, on_replayed=self._release)
        self._stream = stream
        self._queue: asyncio.Queue[Click | None] | None = None
        self._task: asyncio.Task | None = None
        self._stream_task: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self._stop_deadline = 0.0
        self.written = 0
        # Human clicks queued or being written, per link, and who waits for them to land.
        self._unwritten: dict[int, int] = {}
        self._waiters: dict[int, asyncio.Event] = {}
        self._last_entry: str | None = None  # this process's latest stream entry
        self._stream_retry_at = 0.0
        self._spill_blocked_until = 0.0
        self._full_log = Throttled(log, FULL_LOG_EVERY)

    @property
    def queue(self) -> asyncio.Queue[Click | None]:
        """The in-process queue (made on first use, inside the running loop)."""
        if self._queue is None:
            self._queue = asyncio.Queue(self._maxsize)
        return self._queue

    def _stream_client(self) -> ClickStream | None:
        if self._stream is None and settings.REDIS_URL:
            self._stream = ClickStream(settings.REDIS_URL)
        return self._stream

    def depth(self) -> int:
        """Clicks waiting: this process's queue plus, with Redis, the shared stream's backlog."""
        return self.queue.qsize() + (self._stream.backlog if self._stream else 0)

    def record_nowait(self, click: Click) -> bool:
        """Queue `click` at once if that needs no waiting (the in-process queue, with room);
        False otherwise, and the caller awaits `record`. Spares the redirect a task per click."""
        if self.queue.full() or self._closed() or self._stream_client() is not None:
            return False
        if not click.is_bot:
            self._unwritten[click.link_id] = self._unwritten.get(click.link_id, 0) + 1
        self.queue.put_nowait(click)
        metrics.click_queue_depth.set(self.depth())
        return True

    async def record(self, click: Click) -> None:
        """Queue `click` for storing; waits (never drops) while the queue is full."""
        stream = self._stream_client()
        if stream is not None and time.monotonic() >= self._stream_retry_at:
            try:
                # Shielded: a request task cancelled now (shutdown) must not lose its click halfway.
                entry = await asyncio.shield(stream.add(click))
            except (RedisError, OSError) as exc:
                # For a while, straight to the in-process queue: not one slow failure per click.
                self._stream_retry_at = time.monotonic() + STREAM_RETRY_AFTER
                log.warning("click stream unavailable (%s); clicks stay in this process for %.0fs", exc, STREAM_RETRY_AFTER)
            else:
                self._last_entry = entry
                metrics.click_queue_depth.set(self.depth())
                if stream.backlog >= self._maxsize:
                    self._note_full()  # the click is safe in Redis already: this only slows producers
                    await stream.wait_for_room(self._maxsize, self._stopping)
                return
        if self._closed():
            await self._spill([click], at_stop=True)  # a straggler after shutdown: straight to disk
            return
        if not click.is_bot:
            self._unwritten[click.link_id] = self._unwritten.get(click.link_id, 0) + 1
        try:
            self.queue.put_nowait(click)
        except asyncio.QueueFull:
            self._note_full()
            await asyncio.shield(self.queue.put(click))
        metrics.click_queue_depth.set(self.depth())

    def _note_full(self) -> None:
        metrics.click_queue_full.inc()
        self._full_log.warning("click queue full (%d waiting); holding the request until the writer catches up", self.depth())

    def _closed(self) -> bool:
        return self._stopping.is_set() and (self._task is None or self._task.done())

    def start(self) -> None:
        """Start the writer (and the stream reader and spool replay); idempotent."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="linkapp-click-writer")
        stream = self._stream_client()
        if stream is not None and (self._stream_task is None or self._stream_task.done()):
            run = stream.run(self._write_with_retry, self._stopping, batch_size=settings.CLICK_BATCH_SIZE, interval=settings.CLICK_FLUSH_INTERVAL)
            self._stream_task = asyncio.create_task(run, name="linkapp-click-stream")
        self._spool.start()

    async def flush(self) -> None:
        """Wait until every click recorded so far by this process is in the database."""
        self.start()
        await self.queue.join()
        while self._spool.pending:  # spilled while the database was down: wait for the replay
            await asyncio.sleep(0.02)
        if self._last_entry is not None:
            await self._stream_stored(self._last_entry)

    async def wait_written(self, link_id: int) -> None:
        """Wait until every human click recorded so far for `link_id` is in the database.

        Unlike `flush`, this does not wait for other links' clicks, so it ends even while
        the queue never empties under steady traffic."""
        while self._unwritten.get(link_id):
            self.start()
            await self._waiters.setdefault(link_id, asyncio.Event()).wait()
        if self._last_entry is not None:
            # Entries up to a fixed id: this ends under steady traffic too.
            await self._stream_stored(self._last_entry)

    async def _stream_stored(self, entry: str) -> None:
        self.start()  # our own reader, in case no other instance runs one
        await self._stream.wait_stored(entry)

    def _mark_written(self, batch: list[Click]) -> None:
        self._release(Counter(click.link_id for click in batch if not click.is_bot))

    def _release(self, humans: Counter[int]) -> None:
        for link_id, count in humans.items():
            left = self._unwritten.get(link_id, 0) - count
            if left > 0:
                self._unwritten[link_id] = left
                continue
            self._unwritten.pop(link_id, None)
            waiter = self._waiters.pop(link_id, None)
            if waiter is not None:
                waiter.set()

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
        self._stop_deadline = loop.time() + (timeout if timeout is not None else settings.CLICK_STOP_TIMEOUT)
        if self._stream is not None and self._last_entry is not None:
            with contextlib.suppress(TimeoutError, RedisError, OSError):
                await asyncio.wait_for(self._stream_stored(self._last_entry), max(self._stop_deadline - loop.time(), 0.01))
        self._stopping.set()
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)  # wakes a writer waiting for work
        await self._task
        self._task = None
        # A click that got into the queue as the writer finished has no one left to write it.
        leftover = [self.queue.get_nowait() for _ in range(self.queue.qsize())]
        for _ in leftover:
            self.queue.task_done()
        await self._spill([click for click in leftover if click is not None], at_stop=True)
        if self._stream_task is not None:
            try:
                await self._stream_task
            except Exception:  # a crashed reader left its entries pending: another writer claims them
                log.exception("the click stream reader had failed")
            self._stream_task = None
            await self._stream.retire()
            await self._stream.close()
        await self._spool.stop()

    async def _run(self) -> None:
        queue = self.queue
        while True:
            item = await queue.get()
            batch = [] if item is None else [item]
            taken = 1
            if not self._stopping.is_set() and queue.qsize() < settings.CLICK_BATCH_SIZE:
                # Let a burst gather so that one round trip writes many clicks; stop cuts it short.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), settings.CLICK_FLUSH_INTERVAL)
            while len(batch) < settings.CLICK_BATCH_SIZE and not queue.empty():
                item = queue.get_nowait()
                taken += 1
                if item is not None:
                    batch.append(item)
            if batch:
                if await self._write_with_retry(batch, spill_early=True):
                    self._mark_written(batch)
                else:
                    # The database is down and memory fills (or we are stopping): all queued clicks to disk.
                    rest = [queue.get_nowait() for _ in range(queue.qsize())]
                    taken += len(rest)
                    await self._spill(batch + [click for click in rest if click is not None], at_stop=self._stopping.is_set())
            for _ in range(taken):
                queue.task_done()
            metrics.click_queue_depth.set(self.depth())
            if self._stopping.is_set() and queue.empty():
                return

    def _should_spill(self, held: int) -> bool:
        # Memory grows while the database is down: past half the queue's size, disk takes over.
        return held + self.queue.qsize() >= self._maxsize // 2 and time.monotonic() >= self._spill_blocked_until

    async def _write_with_retry(self, batch: list[Click], *, spill_early: bool = False) -> bool:
        """Store `batch`, retrying; False once stopping is past its deadline (or, with
        `spill_early`, once the queue is half full) while the database still fails."""
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            try:
                if self._stopping.is_set():
                    await asyncio.wait_for(write_clicks(batch), max(self._stop_deadline - loop.time(), 0.5))
                else:
                    await write_clicks(batch)
                self.written += len(batch)
                metrics.click_queue_depth.set(self.depth())
                return True
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: the clicks stay with us and are retried
                metrics.click_store_failures.inc()
                if self._stopping.is_set() and loop.time() >= self._stop_deadline:
                    log.warning("writing %d clicks failed at shutdown (%s)", len(batch), exc.__class__.__name__)
                    return False
                if spill_early and self._should_spill(len(batch)):
                    return False
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                if attempt == 0:
                    log.exception("writing %d clicks failed; retrying in %.1fs", len(batch), delay)
                else:
                    log.warning("writing %d clicks failed again (%s); retrying in %.1fs", len(batch), exc.__class__.__name__, delay)
                attempt += 1
                if self._stopping.is_set():
                    delay = min(delay, max(self._stop_deadline - loop.time(), 0.05))
                await self._pause(delay, len(batch) if spill_early else None)

    async def _pause(self, seconds: float, held: int | None) -> None:
        # Woken early by a stop, or by a queue that needs spilling (`held` clicks in hand).
        end = time.monotonic() + seconds
        was_stopping = self._stopping.is_set()
        while time.monotonic() < end and self._stopping.is_set() == was_stopping and not (held is not None and self._should_spill(held)):
            await asyncio.sleep(min(0.05, end - time.monotonic()))

    async def _spill(self, clicks: list[Click], *, at_stop: bool) -> None:
        if not clicks or await self._spool.spill(clicks):
            return
        if at_stop:
            spool.log_lost(clicks)
            return
        # The disk refused: keep them and retry the database; the queue fills, back-pressure takes over.
        self._spill_blocked_until = time.monotonic() + SPILL_RETRY_AFTER
        if await self._write_with_retry(clicks):
            self._mark_written(clicks)
        else:
            await self._spill(clicks, at_stop=True)


async def _store(batch: list[Click]) -> int:
    return await store_thread.run(click_store.store(batch))


async def write_clicks(batch: list[Click]) -> int:
    """Store a batch: events and rollups in one transaction (see click_store); returns how many were new.
    Clicks the database refuses as data are set aside (see rejects), so they cannot hold up the rest."""
    try:
        stored = await _store(batch)
    except Exception as exc:
        if not rejects.refused(exc):
            raise
        stored = await rejects.store_around(batch, _store, exc)
    metrics.clicks_stored.inc(stored)
    live.clicks_stored()  # open dashboards refresh, replayed clicks included
    return stored


recorder = ClickRecorder()
