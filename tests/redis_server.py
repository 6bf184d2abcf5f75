"""The real Redis the Redis tests run against (127.0.0.1:6379 unless REDIS_TEST_URL says otherwise)."""

from __future__ import annotations

import os

import redis

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


def missing() -> str | None:
    """Why the Redis tests cannot run here, or None when Redis answers."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"no Redis answers at {REDIS_URL}: {exc.__class__.__name__}"
    return None
