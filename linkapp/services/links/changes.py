"""Telling every app instance that a link changed, so that none keeps redirecting the old way.

Each instance caches short codes for LINK_CACHE_TTL seconds. A change invalidates this
instance's cache at once; with REDIS_URL it is also published on LINK_CHANNEL (see broadcast),
and every instance's listener drops the link from its own cache. Redis being away costs
freshness, never the change itself: the other instances then catch up within the TTL.
"""

from __future__ import annotations

import logging

from linkapp.core import broadcast
from linkapp.core.config import settings
from linkapp.services.links import redirects

log = logging.getLogger(__name__)


def _heard(data: str) -> None:
    try:
        link_id = int(data)
    except ValueError:
        log.warning("ignored a malformed link-change message: %r", data)
        return
    redirects.invalidate(link_id)


# After every (re)connection the whole cache is dropped: changes announced while we were not
# listening are lost to us.
CHANNEL = broadcast.Channel("LINK_CHANNEL", heard=_heard, connected=lambda: redirects.cache.clear())


async def announce(link_id: int) -> None:
    """Call after a link's change is committed: this instance forgets it now, the others as
    soon as they hear of it."""
    redirects.invalidate(link_id)
    if settings.REDIS_URL and not await broadcast.publish(CHANNEL, str(link_id)):
        log.warning("could not announce the change of link %d; other instances follow within %.0fs", link_id, settings.LINK_CACHE_TTL)

