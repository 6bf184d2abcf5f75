"""What runs for the whole life of the server: start-up's objects kept from the collector, the
click writer, flushed on shutdown, and the webhook dispatcher (in the writer's process)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

from linkapp import db as database
from linkapp.core import metrics
from linkapp.core.config import settings
from linkapp.services.clicks.recorder import recorder
from linkapp.services.clicks.store_process import StoreFailed, store_process
from linkapp.services.clicks.writer_thread import store_thread
from linkapp.services.webhooks import outbox, running

KEEP_ALIVE = 15.0  # seconds between checks that the writer's process, and so the dispatcher, runs
GC_THRESHOLDS = (10_000, 20, 20)  # the collector's generations, while the app runs (see below)

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def start_up_objects_frozen():
    """Keep the garbage collector off what start-up built. The app's pages and components are a
    quarter of a million objects that live as long as the process: a full collection walked them
    all (over 100 ms, the redirects' worst pause under load). Frozen, the collector leaves them alone.

    The young generation's threshold is raised too: under load the default (700 allocations)
    ran a collection of the younger generations every few hundred requests, each walking the
    clicks waiting in the queue, up to 10-16 ms (bench/README.md, "A third session")."""
    gc.collect()
    gc.freeze()
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextlib.asynccontextmanager
async def click_writer():
    """Start the click writer (which also replays the spool and, with Redis, reads the stream);
    on shutdown store what is left, or spool it if the database is down (bounded in time)."""
    recorder.start()
    try:
        yield
    finally:
        try:
            await recorder.stop()
        finally:
            await store_process.close()
            await store_thread.close()
            await database.dispose_current()
            metrics.process_ended()
        log.info("click writer stopped; %d clicks written", recorder.written)


@contextlib.asynccontextmanager
async def webhook_dispatcher():
    """Deliver webhooks for as long as the app runs: in the click writer's process when there is
    one (off the redirects' interpreter), else on a thread of this process. Every worker runs
    one; they share the outbox through their claims."""
    if not settings.CLICK_WRITER_PROCESS:
        async with running.dispatching():
            yield
        return
    forward = _Forward()
    stop_listening = outbox.bell.listen(forward.heard)
    store_process.dispatching = True
    forward.heard(None)  # starts the writer's process, and its dispatcher, now
    keeping = asyncio.create_task(forward.keep_alive(KEEP_ALIVE), name="linkapp-webhooks-keep-alive")
    try:
        yield
    finally:
        stop_listening()
        keeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeping
        await forward.idle()
        try:
            await store_process.stop_dispatching()
        except StoreFailed as exc:  # its leases run out on their own
            log.warning("the webhook dispatcher in the writer's process did not stop in order: %s", exc)


class _Forward:
    """Rings the writer's process for the bells this process rings (link events, hook changes):
    one message at a time, what rings meanwhile gathered into the next."""

    def __init__(self) -> None:
        self._pending: set[int] | None = set()  # None: every hook (hooks changed)
        self._rung = False
        self._task: asyncio.Task | None = None

    def heard(self, hook_ids: frozenset[int] | None) -> None:
        if hook_ids is None:
            self._pending = None
        elif self._pending is not None:
            self._pending.update(hook_ids)
        self._rung = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._send(), name="linkapp-webhooks-ring")

    async def _send(self) -> None:
        while self._rung:
            pending, self._pending, self._rung = self._pending, set(), False
            try:
                await store_process.ring(None if pending is None else frozenset(pending))
            except StoreFailed as exc:  # the writer's process is restarting: its dispatcher looks everywhere once up
                log.warning("could not wake the webhook dispatcher in the writer's process: %s", exc)

    async def keep_alive(self, every: float) -> None:
        """A writer's process that died comes back (with its dispatcher) within `every` seconds,
        traffic or not."""
        while True:
            await asyncio.sleep(every)
            if store_process.pid is None:
                self.heard(None)

    async def idle(self) -> None:
        if self._task is not None:
            await self._task
