"""The in-process click queue: bounded, and counting per link the human clicks not yet written.

The redirect's clicks wait here for the writer (without Redis, or when Redis refused them). A
full queue makes its producer wait; it never drops a click. Per link, it counts the human clicks
queued or being written, so that a link with a click limit can wait for its own clicks to land
without waiting for everyone else's, which under steady traffic might never end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

from linkapp.models.click import Click


class LocalQueue:
    """The bounded queue between the redirect and the writer, with the unwritten clicks per link.

    Args:
        maxsize: how many clicks it holds before producers wait.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._queue: asyncio.Queue[Click | None] | None = None
        # Human clicks queued or being written, per link, and who waits for them to land.
        self._unwritten: dict[int, int] = {}
        self._waiters: dict[int, asyncio.Event] = {}

    @property
    def queue(self) -> asyncio.Queue[Click | None]:
        """The queue itself (made on first use, inside the running loop); None wakes the writer."""
        if self._queue is None:
            self._queue = asyncio.Queue(self.maxsize)
        return self._queue

    def put_nowait(self, click: Click) -> bool:
        """Queue `click` if there is room; False, and nothing queued, when the queue is full."""
        queue = self.queue
        if queue.full():
            return False
        if not click.is_bot:  # `_hold`, inline: this is the redirect's path
            self._unwritten[click.link_id] = self._unwritten.get(click.link_id, 0) + 1
        queue.put_nowait(click)
        return True

    async def put(self, click: Click) -> None:
        """Queue `click`, waiting for room (back-pressure on its producer)."""
        self._hold(click)
        # Shielded: a request task cancelled now (shutdown) must not lose its click halfway.
        await asyncio.shield(self.queue.put(click))

    def wake(self) -> None:
        """Wake a writer waiting for work (a full queue needs no waking)."""
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)

    def take_all(self) -> list[Click | None]:
        """Everything queued, taken at once; the caller marks them `done`."""
        queue = self.queue
        return [queue.get_nowait() for _ in range(queue.qsize())]

    def done(self, taken: int) -> None:
        """Mark `taken` items handled, so that `queue.join()` (a flush) can end."""
        for _ in range(taken):
            self.queue.task_done()

    def unwritten(self, link_id: int) -> int:
        """Human clicks for `link_id` queued or being written."""
        return self._unwritten.get(link_id, 0)

    async def wait_released(self, link_id: int) -> None:
        """Wait until `link_id` has no unwritten human click left (at once if it has none)."""
        if self._unwritten.get(link_id):
            await self._waiters.setdefault(link_id, asyncio.Event()).wait()

    def mark_written(self, batch: list[Click]) -> None:
        """`batch` is in the database: its human clicks no longer count as unwritten."""
        self.release(Counter(click.link_id for click in batch if not click.is_bot))

    def release(self, humans: Counter[int]) -> None:
        """`humans` clicks per link are in the database (written now, or replayed from the spool)."""
        for link_id, count in humans.items():
            left = self._unwritten.get(link_id, 0) - count
            if left > 0:
                self._unwritten[link_id] = left
                continue
            self._unwritten.pop(link_id, None)
            waiter = self._waiters.pop(link_id, None)
            if waiter is not None:
                waiter.set()

    def _hold(self, click: Click) -> None:
        if not click.is_bot:
            self._unwritten[click.link_id] = self._unwritten.get(click.link_id, 0) + 1
