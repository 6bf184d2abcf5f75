"""AI answers kept for INSIGHT_CACHE_SECONDS: the same question on the same figures is not paid
for twice.

In this process, at most MAX_ENTRIES. With REDIS_URL the answers are kept in Redis, so every
worker and instance reuses them (each asking Gemini again would cost money); while Redis
cannot be reached, each process keeps its own, and says so once a minute.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime

from redis.exceptions import RedisError

from linkapp.core import redis_client
from linkapp.core.config import settings
from linkapp.core.logs import Throttled

log = logging.getLogger(__name__)
MAX_ENTRIES = 512
REDIS_TIMEOUT = 1.0
_local: dict[str, tuple[float, dict]] = {}
_redis_away = Throttled(log, 60.0)


def clear() -> None:
    """Forget the answers kept in this process (tests, or after a model change)."""
    _local.clear()
    _redis_away.reset()


async def get(key: str) -> dict | None:
    if settings.REDIS_URL:
        try:
            stored = await redis_client.shared(REDIS_TIMEOUT).get(_redis_key(key))
        except (RedisError, OSError) as exc:
            _note_redis_away(exc)
        else:
            return None if stored is None else _decode(stored)
    entry = _local.get(key)
    if entry is None:
        return None
    if entry[0] < time.monotonic():
        del _local[key]
        return None
    return entry[1]


async def put(key: str, answer: dict) -> None:
    seconds = settings.INSIGHT_CACHE_SECONDS
    if seconds <= 0:
        return
    if settings.REDIS_URL:
        try:
            await redis_client.shared(REDIS_TIMEOUT).set(_redis_key(key), json.dumps(answer, default=_encode), ex=seconds)
            return
        except (RedisError, OSError) as exc:
            _note_redis_away(exc)
    if len(_local) >= MAX_ENTRIES:
        now = time.monotonic()
        for stale in [k for k, (expires, _) in _local.items() if expires < now]:
            del _local[stale]
        while len(_local) >= MAX_ENTRIES:  # still full: drop the oldest entries
            del _local[next(iter(_local))]
    _local[key] = (time.monotonic() + seconds, answer)


def _redis_key(key: str) -> str:
    return f"{settings.INSIGHT_KEY_PREFIX}:{key}"


def _encode(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot keep {type(value).__name__} in the answer cache")


def _decode(stored: bytes) -> dict:
    answer = json.loads(stored)
    answer["generated_at"] = datetime.fromisoformat(answer["generated_at"])
    return answer


def _note_redis_away(exc: BaseException) -> None:
    _redis_away.warning("AI answers kept in this process only: Redis unreachable (%s)", exc.__class__.__name__)
