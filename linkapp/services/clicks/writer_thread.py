"""The click writer's database work on a thread of its own, with its own event loop.

Storing a batch (enrichment, thousands of parameters, rollup arithmetic) is mostly Python work:
on the app's event loop it held redirects for hundreds of milliseconds per batch. Here it only
competes for the interpreter, which switches threads every few milliseconds.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from linkapp import db as database

T = TypeVar("T")


class StoreThread:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="linkapp-click-store", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the writer's thread and wait for it here (cancelling it too)."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._ensure()))

    async def close(self) -> None:
        """Close the thread's database connections and end the thread (at shutdown)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        await self.run(database.dispose_current())
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, 10)
        loop.close()
        self._loop = self._thread = None


store_thread = StoreThread()
