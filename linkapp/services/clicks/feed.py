"""Tells open dashboards that new clicks are stored, so they refresh without polling the database.

With REDIS_URL the news goes to every instance (see broadcast): a dashboard open on one instance
refreshes when another instance's writer stored the clicks.
"""

from __future__ import annotations

import asyncio
import logging

from linkapp.core import broadcast
from linkapp.core.logs import Throttled

log = logging.getLogger(__name__)


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
# A dashboard may have missed news while the listener was away: one refresh catches it up.
CHANNEL = broadcast.Channel("CLICKS_CHANNEL", heard=lambda _: feed.publish(), connected=lambda: feed.publish())
_unannounced = Throttled(log, 60.0)


def clicks_stored() -> None:
    """Call after a batch of clicks is committed: dashboards here refresh now, elsewhere as soon
    as their instance hears of it."""
    feed.publish()
    broadcast.publish_soon(CHANNEL, "", on_failure=_not_announced)


def _not_announced() -> None:
    _unannounced.warning("could not tell the other instances that clicks were stored; their dashboards refresh on their own clicks")
