"""The dispatcher for the app's lifespan, on a thread of its own with its own event loop (and so its
own database engine, see `linkapp.db`).

On the redirects' loop, every network wait of a delivery (the POST, its claim and its notes) gave
the interpreter away to the click writer's thread, and the redirects waited to get it back: at 20
deliveries a second the redirects lost about a fifth of their rate, for a few percent of actual
work. On a thread of its own the dispatcher waits on its own time; the redirects only share the
interpreter with what it really computes, as they do with the click writer's thread.

Even so, 20 deliveries a second cost the redirects about a tenth of their rate: the app runs the
dispatcher on a thread of the click writer's process when there is one (`linkapp.lifespan`),
and here only without it (CLICK_WRITER_PROCESS=false).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from linkapp import db as database
from linkapp.services.webhooks.dispatcher import Dispatcher

T = TypeVar("T")


class DispatcherThread:
    """Runs a `Dispatcher` (made by `make`, on its thread) from `start` to `stop`."""

    def __init__(self, make=Dispatcher) -> None:
        self._make = make
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.dispatcher: Dispatcher | None = None

    async def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))

    async def start(self) -> None:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="linkapp-webhooks", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread

        async def begin() -> Dispatcher:
            dispatcher = self._make()
            dispatcher.start()
            return dispatcher

        self.dispatcher = await self._run(begin())

    async def stop(self) -> None:
        """Stop the dispatcher (see `Dispatcher.stop`), close the thread's connections, end the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            if self.dispatcher is not None:
                await self._run(self.dispatcher.stop())
        finally:
            with contextlib.suppress(Exception):
                await self._run(database.dispose_current())
            loop.call_soon_threadsafe(loop.stop)
            await asyncio.to_thread(thread.join, 10)
            loop.close()
            self._loop = self._thread = None


@contextlib.asynccontextmanager
async def dispatching():
    """Lifespan task: deliver webhooks for as long as the app runs (every worker runs one; they
    share the outbox through their claims)."""
    running = DispatcherThread()
    await running.start()
    try:
        yield
    finally:
        await running.stop()
