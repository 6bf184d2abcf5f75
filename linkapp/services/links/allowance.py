"""How many of a link's `max_clicks` are used: exact although clicks are written in the background.

One process counts in memory. With REDIS_URL, every instance counts on one Redis counter per
link (a small Lua script checks and adds atomically), so the limit holds across instances. Both
start from the database, once every click recorded so far for the link is written; if Redis
cannot be reached, the instance counts on its own until it can again.
"""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from linkapp import db as database
from linkapp.core import redis_client
from linkapp.core.config import settings
from linkapp.core.logs import Throttled
from linkapp.services.clicks.recorder import recorder
from linkapp.services.rollups import reads as rollups

log = logging.getLogger(__name__)
# A counter idle this long is dropped; by then every click it counted is in the database.
SHARED_TTL = 24 * 3600
REDIS_TIMEOUT = 1.0
# Returns -1 when the counter does not exist yet, 0 when the limit is reached, else 1 (and adds one).
_TAKE = """
local used = redis.call('GET', KEYS[1])
if not used then return -1 end
if tonumber(used) >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


async def _count_human_clicks(link_id: int) -> int:
    # Clicks counted before the link had a limit may still sit in the queue: the database
    # only knows them all once they are written. The rollups are exact, and one row a day.
    await recorder.wait_written(link_id)
    async with database.session() as db:
        return (await rollups.all_time_clicks(db, [link_id])).get(link_id, 0)


class Allowance:
    def __init__(self) -> None:
        self._used: dict[int, int] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._redis_away = Throttled(log, 60.0)  # once a minute, not once a click

    def clear(self) -> None:
        """Forget the in-process counts (a fresh process knows only what is stored)."""
        self._used.clear()
        self._locks.clear()
        self._redis_away.reset()

    async def used(self, link_id: int) -> int:
        """Clicks of the link counted against its limit so far."""
        if settings.REDIS_URL:
            try:
                return await self._shared_used(link_id)
            except (RedisError, OSError) as exc:
                self._note_redis_away(exc)
        return await self._local_used(link_id)

    async def take(self, link_id: int, limit: int) -> bool:
        """Use one click of the allowance; False once `limit` clicks have been counted."""
        if settings.REDIS_URL:
            try:
                return await self._shared_take(link_id, limit)
            except (RedisError, OSError) as exc:
                self._note_redis_away(exc)
        if await self._local_used(link_id) >= limit:
            return False
        self._used[link_id] += 1
        return True

    async def discard(self, link_id: int) -> None:
        """Drop the link's count (it was deleted; SQLite may give its id to the next link)."""
        self._used.pop(link_id, None)
        if settings.REDIS_URL:
            try:
                await self._client().delete(self._key(link_id))
            except (RedisError, OSError) as exc:
                self._note_redis_away(exc)

    # --- in process ---------------------------------------------------------------------------

    async def _local_used(self, link_id: int) -> int:
        if link_id not in self._used:
            async with self._locks.setdefault(link_id, asyncio.Lock()):
                if link_id not in self._used:
                    self._used[link_id] = await _count_human_clicks(link_id)
        return self._used[link_id]

    # --- shared through Redis -----------------------------------------------------------------

    def _client(self) -> Redis:
        return redis_client.shared(REDIS_TIMEOUT)

    def _key(self, link_id: int) -> str:
        return f"{settings.ALLOWANCE_KEY_PREFIX}:{link_id}"

    async def _start_shared(self, link_id: int) -> None:
        # Several instances may start at once: the first value set wins, all start from it.
        async with self._locks.setdefault(link_id, asyncio.Lock()):
            client = self._client()
            if not await client.exists(self._key(link_id)):
                await client.set(self._key(link_id), await _count_human_clicks(link_id), nx=True, ex=SHARED_TTL)

    async def _shared_used(self, link_id: int) -> int:
        value = await self._client().get(self._key(link_id))
        if value is None:
            await self._start_shared(link_id)
            value = await self._client().get(self._key(link_id))
        return int(value or 0)

    async def _shared_take(self, link_id: int, limit: int) -> bool:
        client = self._client()
        answer = await client.eval(_TAKE, 1, self._key(link_id), limit, SHARED_TTL)
        if answer == -1:
            await self._start_shared(link_id)
            answer = await client.eval(_TAKE, 1, self._key(link_id), limit, SHARED_TTL)
        return answer == 1

    def _note_redis_away(self, exc: BaseException) -> None:
        self._redis_away.warning("click limits counted in this process only: Redis unreachable (%s)", exc.__class__.__name__)


allowance = Allowance()
