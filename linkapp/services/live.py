"""Tells open dashboards that new clicks are stored, so they refresh without polling the database."""

from __future__ import annotations

import asyncio


class ClickFeed:
    """A version number bumped after every batch the click writer commits."""

    def __init__(self) -> None:
        self.version = 0
        self._changed: asyncio.Event | None = None

    def publish(self) -> None:
        self.version += 1
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait(self, since: int, timeout: float) -> int:
        """Return the version once it is past `since`, or after `timeout` seconds regardless."""
        if self.version != since:
            return self.version
        if self._changed is None:
            self._changed = asyncio.Event()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            pass
        return self.version


feed = ClickFeed()
