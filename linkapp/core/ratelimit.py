"""Rate limits written like `10/minute`, counted in memory or in Redis when REDIS_URL is set."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse
from redis.exceptions import RedisError

from linkapp.core import redis_client
from linkapp.core.coalesce import Coalescer
from linkapp.core.config import settings
from linkapp.core.errors import RateLimited
from linkapp.core.logs import Throttled


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
        }

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """`headers` as ASGI sends them (the redirect's path)."""
        return [
            (b"ratelimit-limit", b"%d" % self.limit),
            (b"ratelimit-remaining", b"%d" % self.remaining),
            (b"ratelimit-reset", b"%d" % self.reset_after),
        ]


class LocalWindows:
    """Sliding-window counters in this process (the algorithm of `limits`' sliding window
    counter). Counts are kept per window, so that a window two periods old is dropped whole:
    the cost of forgetting does not grow with the number of clients (limits' memory storage
    sweeps every key after each hit; a per-key sweep once a second still took tens of
    milliseconds of the event loop under load from many visitors)."""

    def __init__(self) -> None:
        self._windows: dict[tuple[int, int], dict[tuple[str, ...], int]] = {}  # (period, window) -> key -> hits

    def clear(self) -> None:
        self._windows.clear()

    def counters(self) -> int:
        """How many (client, window) counters are kept (tests: memory stays bounded)."""
        return sum(len(counts) for counts in self._windows.values())

    def hit(self, item: RateLimitItem, key: tuple[str, ...], now: float) -> Verdict:
        period = item.get_expiry()
        window = int(now // period)
        elapsed = now - window * period
        counts = self._windows.get((period, window))
        if counts is None:
            counts = self._windows[(period, window)] = {}
            self._forget_before(period, window - 1)
        current = counts.get(key, 0)
        previous = self._windows.get((period, window - 1), {}).get(key, 0)
        weighted = previous * (period - elapsed) / period + current
        allowed = weighted + 1 <= item.amount
        if allowed:
            counts[key] = current + 1
            weighted += 1
        reset_after = max(1, math.ceil(period - elapsed))
        return Verdict(allowed=allowed, limit=item.amount, remaining=max(0, int(item.amount - weighted)), reset_after=reset_after)

    def _forget_before(self, period: int, window: int) -> None:
        for name in [name for name in self._windows if name[0] == period and name[1] < window]:
            del self._windows[name]


_local = LocalWindows()
log = logging.getLogger(__name__)
_redis_away = Throttled(log, 60.0)  # once a minute, not once a request


def _note_redis_away(exc: BaseException) -> None:
    _redis_away.warning("rate limits counted in this process only: Redis unreachable (%s)", exc.__class__.__name__)


KEY_PREFIX = "linkapp:ratelimit"
# The sliding window counter of LocalWindows, in Redis: for each hit, read its window's and the
# previous window's counts, and count the hit if the weighted sum leaves room. One script call
# takes every hit a worker has waiting (see `coalesce`): a round trip per crowd of requests, not
# per request (a command per request cost the redirect most of its rate).
_HITS = """
local out = {}
for i = 1, #KEYS, 2 do
  local j = (i - 1) / 2 * 3
  local current = tonumber(redis.call('GET', KEYS[i]) or '0')
  local previous = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  local allowed = 0
  if previous * tonumber(ARGV[j + 1]) + current + 1 <= tonumber(ARGV[j + 2]) then
    current = redis.call('INCR', KEYS[i])
    if current == 1 then redis.call('EXPIRE', KEYS[i], ARGV[j + 3]) end
    allowed = 1
  end
  out[#out + 1] = allowed
  out[#out + 1] = current
  out[#out + 1] = previous
end
return out
"""
REDIS_TIMEOUT = 2.0
MAX_BATCH = 500  # hits in one script call at most
_Hit = tuple[str, str, str, int, int]  # this window's key, the previous one's, weight, limit, expiry
_coalescers: dict[tuple[asyncio.AbstractEventLoop, str], Coalescer[_Hit, tuple[int, int, int]]] = {}


def _coalescer() -> Coalescer[_Hit, tuple[int, int, int]]:
    """This loop's batcher of hits (a connection, like a future, belongs to one loop)."""
    key = (asyncio.get_running_loop(), settings.REDIS_URL or "")
    coalescer = _coalescers.get(key)
    if coalescer is None:
        script = redis_client.shared(REDIS_TIMEOUT).register_script(_HITS)

        async def send(hits: list[_Hit]) -> list[tuple[int, int, int]]:
            keys = [name for hit in hits for name in hit[:2]]
            flat = await script(keys=keys, args=[value for hit in hits for value in hit[2:]])
            return [tuple(flat[i : i + 3]) for i in range(0, len(flat), 3)]

        coalescer = _coalescers[key] = Coalescer(send, max_items=MAX_BATCH)
    return coalescer


async def _shared_hit(item: RateLimitItem, key: tuple[str, ...], now: float) -> Verdict:
    period = item.get_expiry()
    window = int(now // period)
    elapsed = now - window * period
    weight = (period - elapsed) / period
    name = f"{KEY_PREFIX}:{period}:{'/'.join(key)}"
    allowed, current, previous = await _coalescer().submit((f"{name}:{window}", f"{name}:{window - 1}", repr(weight), item.amount, 2 * period))
    weighted = previous * weight + current
    return Verdict(allowed=bool(allowed), limit=item.amount, remaining=max(0, int(item.amount - weighted)), reset_after=max(1, math.ceil(period - elapsed)))


async def reset() -> None:
    """Forget every counter (tests)."""
    _local.clear()
    _redis_away.reset()
    if settings.REDIS_URL:
        client = redis_client.shared(REDIS_TIMEOUT)
        async for name in client.scan_iter(match=f"{KEY_PREFIX}:*", count=1000):
            await client.delete(name)


@lru_cache(maxsize=32)
def _item(spec: str) -> RateLimitItem:
    return parse(spec)


async def check(spec: str, *key: str) -> Verdict:
    """Count one request against `spec` for `key`; in this process alone while Redis is away
    (a limit that cannot be shared is better than no service)."""
    item = _item(spec)
    if not settings.REDIS_URL:
        return _local.hit(item, key, time.time())
    try:
        return await _shared_hit(item, key, time.time())
    except (RedisError, OSError) as exc:
        _note_redis_away(exc)
        return _local.hit(item, key, time.time())


def tightest(*verdicts: Verdict) -> Verdict:
    """Of the verdicts one request got from several limits, the one its client should go by.

    Args:
        verdicts: At least one verdict, all for the same request.

    Returns:
        The verdict with the fewest requests left, and of those the longest wait.
    """
    return min(verdicts, key=lambda verdict: (verdict.remaining, -verdict.reset_after))


async def enforce(spec: str, *key: str) -> Verdict:
    """Like `check`, but a refused request raises RateLimited (429 with Retry-After)."""
    verdict = await check(spec, *key)
    if not verdict.allowed:
        raise RateLimited("Too many requests; try again later.", retry_after=verdict.reset_after, headers=verdict.headers())
    return verdict
