"""Many callers' small requests to one server sent as one: a round trip for a crowd.

Under load a worker answers dozens of redirects at once, and each used to send Redis its own
command (a rate-limit check, a click for the stream): redis-py's cost per command was most of
what Redis mode cost the redirect. A `Coalescer` sends one batch at a time; what callers submit
meanwhile waits and goes together in the next one, so batches grow with the load and a lone
caller waits one round trip, as before. (Several batches at once were measured too: no faster.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    """Sends submitted items through `send` in batches of at most `max_items`, one batch at a time.

    Args:
        send: Takes a batch and returns one result per item, in order; an exception fails every
            caller of that batch.
        max_items: The largest batch.
    """

    def __init__(self, send: Callable[[list[T]], Awaitable[Sequence[R]]], *, max_items: int = 500) -> None:
        self._send = send
        self.max_items = max_items
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._sender: asyncio.Task | None = None
        self.batches = 0  # batches sent (tests and benchmarks)

    async def submit(self, item: T) -> R:
        """Send `item` with whatever else is waiting; returns its result."""
        return await self.enqueue(item)

    def enqueue(self, item: T) -> asyncio.Future[R]:
        """`submit` without a coroutine: the future of `item`'s result (a caller that only needs
        a callback spares itself a task)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._sender is None:
            # It starts on the loop's next turn: what the other requests of this turn submit goes too.
            self._sender = asyncio.get_running_loop().create_task(self._drain())
        return future

    async def idle(self) -> None:
        """Wait until everything submitted so far has its result."""
        while self._sender is not None:
            await asyncio.shield(self._sender)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.max_items], self._waiting[self.max_items :]
                self.batches += 1
                try:
                    results = await self._send([item for item, _ in batch])
                    if len(results) != len(batch):
                        raise ValueError(f"{len(batch)} items sent, {len(results)} results")
                except BaseException as exc:  # noqa: BLE001 - every caller of the batch gets it
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._sender = None
            if self._waiting and asyncio.current_task().cancelling():  # the loop is closing: nobody will send these
                waiting, self._waiting = self._waiting, []
                for _, future in waiting:
                    if not future.done():
                        future.cancel()
