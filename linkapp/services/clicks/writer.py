"""The click writer: drains the in-process queue in batches and keeps every click through an outage.

A batch gathers for up to CLICK_FLUSH_INTERVAL (a stop cuts the wait short), so that one
transaction stores many clicks. A failed write is retried with growing pauses. While the
database stays down, memory fills: past half the queue, the clicks go to the spool file (which
is replayed when the database answers); a disk that refuses them too leaves them in memory, and
back-pressure on the queue takes over. At shutdown retries are bounded by the stop deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable

from linkapp.core import metrics, retry
from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services.clicks import feed, rejects, spool
from linkapp.services.clicks import store as click_store
from linkapp.services.clicks.local_queue import LocalQueue
from linkapp.services.clicks.store_process import store_process
from linkapp.services.clicks.writer_thread import store_thread

log = logging.getLogger(__name__)

SPILL_RETRY_AFTER = 30.0  # seconds the writer keeps clicks in memory after the disk refused them
# Clicks taken or let go between two turns of the event loop: a batch of 5,000 handled at once
# held the redirects' loop about 5 ms, twice a second under load, and every request in flight with it.
SLICE = 500


class BatchWriter:
    """Stores the clicks of a `LocalQueue` in batches, retrying and spilling; never drops one.

    Args:
        local: the queue it drains.
        spooler: where clicks go while the database is down, and at shutdown.
        stopping: set when the recorder stops: the writer then empties the queue and ends, and
            gives up on a failing database at `deadline`.
        depth: clicks waiting in all queues, for the depth gauge.
        settle: told of clicks once they are stored or spooled (the journal lets them go).
    """

    def __init__(
        self,
        local: LocalQueue,
        spooler: spool.Spooler,
        stopping: asyncio.Event,
        *,
        depth: Callable[[], int],
        settle: Callable[[Iterable[Click]], None] = lambda clicks: None,
    ) -> None:
        self._local = local
        self._settle = settle
        self._spool = spooler
        self._stopping = stopping
        self._depth = depth
        self.written = 0
        self.deadline = 0.0  # the event loop's time at which a stop gives up; read only while stopping
        self._spill_blocked_until = 0.0

    async def run(self) -> None:
        """Store batches from the queue until stopping finds it empty."""
        queue = self._local.queue
        while True:
            batch, taken = await self._next_batch()
            if batch:
                if await self.write(batch, spill_early=True):
                    for start in range(0, len(batch), SLICE):
                        part = batch[start : start + SLICE]
                        self._local.mark_written(part)
                        self._settle(part)
                        await asyncio.sleep(0)
                else:
                    # The database is down and memory fills (or we are stopping): all queued clicks to disk.
                    rest = self._local.take_all()
                    taken += len(rest)
                    await self.spill(batch + [click for click in rest if click is not None], at_stop=self._stopping.is_set())
            for start in range(0, taken, SLICE):
                self._local.done(min(SLICE, taken - start))
                await asyncio.sleep(0)
            metrics.click_queue_depth.set(self._depth())
            if self._stopping.is_set() and queue.empty():
                return

    async def _next_batch(self) -> tuple[list[Click], int]:
        """Up to CLICK_BATCH_SIZE clicks, and how many queue items were taken (wake-ups included)."""
        queue = self._local.queue
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
            if taken % SLICE == 0:
                await asyncio.sleep(0)
        return batch, taken

    async def write(self, batch: list[Click], *, spill_early: bool = False) -> bool:
        """Store `batch`, retrying while the database fails.

        Args:
            batch: the clicks to store.
            spill_early: give up once the queue is half full, so that the caller spills.

        Returns:
            True once stored; False when stopping is past its deadline (or, with `spill_early`,
            the queue is half full) while the database still fails.
        """
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            try:
                if self._stopping.is_set():
                    await asyncio.wait_for(write_clicks(batch), max(self.deadline - loop.time(), 0.5))
                else:
                    await write_clicks(batch)
                self.written += len(batch)
                metrics.click_queue_depth.set(self._depth())
                return True
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: the clicks stay with us and are retried
                metrics.click_store_failures.inc()
                if self._stopping.is_set() and loop.time() >= self.deadline:
                    log.warning("writing %d clicks failed at shutdown (%s)", len(batch), exc.__class__.__name__)
                    return False
                if spill_early and self._should_spill(len(batch)):
                    return False
                delay = retry.delay(attempt)
                if attempt == 0:
                    log.exception("writing %d clicks failed; retrying in %.1fs", len(batch), delay)
                else:
                    log.warning("writing %d clicks failed again (%s); retrying in %.1fs", len(batch), exc.__class__.__name__, delay)
                attempt += 1
                if self._stopping.is_set():
                    delay = min(delay, max(self.deadline - loop.time(), 0.05))
                await self._pause(delay, len(batch) if spill_early else None)

    async def spill(self, clicks: list[Click], *, at_stop: bool) -> None:
        """Put `clicks` in the spool file; if the disk refuses, keep retrying the database
        (or, `at_stop`, log them whole as a last resort)."""
        if not clicks:
            return
        if await self._spool.spill(clicks):
            self._settle(clicks)
            return
        if at_stop:
            spool.log_lost(clicks)  # and they stay in the journal, which the next start recovers
            return
        # The disk refused: keep them and retry the database; the queue fills, back-pressure takes over.
        self._spill_blocked_until = time.monotonic() + SPILL_RETRY_AFTER
        if await self.write(clicks):
            self._local.mark_written(clicks)
            self._settle(clicks)
        else:
            await self.spill(clicks, at_stop=True)

    def _should_spill(self, held: int) -> bool:
        # Memory grows while the database is down: past half the queue's size, disk takes over.
        return held + self._local.queue.qsize() >= self._local.maxsize // 2 and time.monotonic() >= self._spill_blocked_until

    async def _pause(self, seconds: float, held: int | None) -> None:
        # Woken early by a stop, or by a queue that needs spilling (`held` clicks in hand).
        end = time.monotonic() + seconds
        was_stopping = self._stopping.is_set()
        while time.monotonic() < end and self._stopping.is_set() == was_stopping and not (held is not None and self._should_spill(held)):
            await asyncio.sleep(min(0.05, end - time.monotonic()))


async def _store(batch: list[Click]) -> int:
    if settings.CLICK_WRITER_PROCESS:
        return await store_process.store(batch)
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
    feed.clicks_stored()  # open dashboards refresh, replayed clicks included
    return stored
