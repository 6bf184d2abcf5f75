"""Rate limits written like `10/minute`, counted in memory or in Redis when REDIS_URL is set."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.storage import storage_from_string
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from linkapp.core.config import settings
from linkapp.core.errors import RateLimited


@dataclass(frozen=True)
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


_limiter: SlidingWindowCounterRateLimiter | None = None


def _storage() -> Storage:
    if settings.REDIS_URL:
        # redis-py (already a dependency) rather than limits' default async client, coredis.
        return storage_from_string("async+" + settings.REDIS_URL, implementation="redispy")
    return MemoryStorage()


def limiter() -> SlidingWindowCounterRateLimiter:
    global _limiter
    if _limiter is None:
        _limiter = SlidingWindowCounterRateLimiter(_storage())
    return _limiter


async def reset() -> None:
    """Forget every counter (tests)."""
    await limiter().storage.reset()


@lru_cache(maxsize=32)
def _item(spec: str) -> RateLimitItem:
    return parse(spec)


async def check(spec: str, *key: str) -> Verdict:
    """Count one request against `spec` for `key`."""
    item = _item(spec)
    allowed = await limiter().hit(item, *key)
    stats = await limiter().get_window_stats(item, *key)
    reset_after = max(1, math.ceil(stats.reset_time - time.time()))
    return Verdict(allowed=allowed, limit=item.amount, remaining=max(0, stats.remaining), reset_after=reset_after)


async def enforce(spec: str, *key: str) -> Verdict:
    """Like `check`, but a refused request raises RateLimited (429 with Retry-After)."""
    verdict = await check(spec, *key)
    if not verdict.allowed:
        raise RateLimited("Too many requests; try again later.", retry_after=verdict.reset_after, headers=verdict.headers())
    return verdict
