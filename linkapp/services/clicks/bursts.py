"""Bursts: one visitor clicking one link more than LIMIT times within WINDOW seconds.

A burst has to be judged where every click of the visitor is seen. One process sees them all
(its writer's `BurstDetector`). With REDIS_URL, clicks reach the database through whichever
worker or instance takes them off the shared stream, so each would see a share and let a burst
through as people: the clicks are counted in Redis instead (a sorted set per link and visitor,
keyed by the day-salted visitor id, never an address), by a Lua script that takes a batch at a
time. If Redis cannot be reached the writer judges with what it sees itself, and says so.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime

from redis.exceptions import RedisError

from linkapp.core import redis_client
from linkapp.core.config import settings
from linkapp.core.logs import Throttled
from linkapp.services.visitors import bots

log = logging.getLogger(__name__)
# The limit is high on purpose: an office behind one address with one browser version looks
# like a single visitor.
LIMIT = 20
WINDOW = 10.0
# Clicks older than this (before the newest one seen) cannot matter any more; late ones from a
# replayed spool are judged among what is left.
KEEP_SECONDS = 60
REDIS_TIMEOUT = 2.0
# Redis runs one script at a time: batches go in slices, so that rate limits and the click
# stream never wait long behind one.
SLICE = 500
# KEYS: a set per click. ARGV: window, limit, keep, then the click id and time of each click.
# A click is a burst when more than `limit` clicks already judged, itself included, lie within
# `window` of it on either side: writers take batches in any order, and a visitor's earlier
# clicks may be judged after later ones; either way all but `limit` of a dense run are bursts
# (in time order this is the one-process rule). The click id is the member, so a batch judged
# again (a retry) is not counted twice.
_JUDGE = """
local window, limit, keep = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local verdicts = {}
for i, key in ipairs(KEYS) do
  local member, at = ARGV[2 + 2 * i], tonumber(ARGV[3 + 2 * i])
  redis.call('ZADD', key, 'NX', at, member)
  local recent = redis.call('ZCOUNT', key, '(' .. (at - window), '(' .. (at + window))
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (at - keep))
  redis.call('EXPIRE', key, keep)
  verdicts[i] = recent > limit and 1 or 0
end
return verdicts
"""


class BurstDetector:
    """Flags a visitor who clicks one link more than `limit` times within `window` seconds.

    One process's judge (Bursts.local): kept across batches. Memory is bounded: at most `max_keys`
    (link, visitor) pairs, the least recently seen forgotten first, each with at most
    `limit + 1` timestamps. Visitor ids change with the daily salt, so a burst that straddles
    midnight UTC starts over.
    """

    def __init__(self, limit: int = 10, window: float = 60.0, max_keys: int = 50_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        # Tuples, replaced on each click, not deques: the garbage collector stops tracking a tuple
        # of floats, while 50,000 deques were containers it walked at every full collection
        # (about a tenth of a second each in the writer's process).
        self._seen: OrderedDict[tuple[int, str], tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def check(self, link_id: int, visitor_id: str, at: datetime) -> bool:
        """Count one click and say whether it is past the limit.

        Args:
            link_id: The link clicked.
            visitor_id: The visitor's id (see `visitor_id`).
            at: When the click happened.

        Returns:
            True when this click makes more than `limit` clicks by the visitor on the link
            within `window` seconds, this click included.
        """
        key = (link_id, visitor_id)
        moment = at.timestamp()
        with self._lock:
            times = self._seen.pop(key, None)
            times = (moment,) if times is None else (*times[max(0, len(times) - self.limit) :], moment)
            self._seen[key] = times  # last: the most recently seen
            if len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)
            # The last limit + 1 clicks, however they arrived, within one window: a burst.
            return len(times) > self.limit and max(times) - min(times) < self.window


class Bursts:
    def __init__(self) -> None:
        self.local = BurstDetector(limit=LIMIT, window=WINDOW)
        self._redis_away = Throttled(log, 60.0)

    def reset(self) -> None:
        """Forget this process's history (tests, or after restoring a database)."""
        self.local = BurstDetector(limit=LIMIT, window=WINDOW)
        self._redis_away.reset()

    async def flag(self, rows: list[dict]) -> None:
        """Mark the batch's clicks that make a burst (enriched link_events rows, in arrival order)."""
        people = [row for row in rows if not row["is_bot"] and row["visitor_id"]]
        if not people:
            return
        verdicts = None
        if settings.REDIS_URL:
            try:
                verdicts = await self._judge_shared(people)
            except (RedisError, OSError) as exc:
                self._redis_away.warning("burst detection cannot reach Redis (%s): each writer judges the clicks it sees", exc.__class__.__name__)
        if verdicts is None:
            verdicts = [self.local.check(row["link_id"], row["visitor_id"], row["clicked_at"]) for row in people]
        for row, burst in zip(people, verdicts, strict=True):
            if burst:
                row["is_bot"], row["bot_reason"] = True, bots.BURST

    async def _judge_shared(self, rows: list[dict]) -> list[bool]:
        client = redis_client.shared(REDIS_TIMEOUT)
        verdicts: list[bool] = []
        for start in range(0, len(rows), SLICE):
            part = rows[start : start + SLICE]
            keys = [f"{settings.BURST_KEY_PREFIX}:{row['link_id']}:{row['visitor_id']}" for row in part]
            args: list[object] = [WINDOW, LIMIT, KEEP_SECONDS]
            for row in part:
                args += [row["click_id"], f"{row['clicked_at'].timestamp():.6f}"]
            verdicts += [bool(flag) for flag in await client.eval(_JUDGE, len(keys), *keys, *args)]
        return verdicts


bursts = Bursts()
