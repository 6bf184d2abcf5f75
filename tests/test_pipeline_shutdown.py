"""SIGTERM under load: every redirect the server answered is stored, once, before it exits."""

from __future__ import annotations

import os
import signal
import uuid

import pytest
import redis

from tests.live import count_events, fire, short_code, start_server

CLICKS = 500
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


def _redis_env(stream: str) -> dict:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis answers at {REDIS_URL}: {exc.__class__.__name__}")
    # With Redis, Reflex runs several workers: each is an app instance sharing the stream.
    return {"REDIS_URL": REDIS_URL, "CLICK_STREAM": stream}


# SIGTERM right after the last answer, with every click still queued, is test_server's SIGTERM test.
@pytest.mark.parametrize(("backend", "queue"), [("sqlite", "process"), ("postgresql", "process"), ("postgresql", "redis")])
async def test_sigterm_under_load_stores_every_answered_click(backend, queue, temp_databases, tmp_path):
    database_url = getattr(temp_databases, backend)()
    spool_dir = tmp_path / "spool"
    stream = f"linkapp-test:{uuid.uuid4().hex}"
    # A slow flush keeps clicks queued when the signal comes: only the shutdown drain stores them.
    env = {"CLICK_FLUSH_INTERVAL": "1.0", "SPOOL_DIR": str(spool_dir), **(_redis_env(stream) if queue == "redis" else {})}
    server = start_server(database_url, tmp_path / "server.log", backend_only=True, extra_env=env)
    try:
        code = short_code(server)

        def signal_midway(answered: int) -> None:
            if answered == CLICKS // 2:
                server.signal(signal.SIGTERM)

        outcomes = await fire(server.base_url, code, CLICKS, concurrency=24, on_answer=signal_midway)
        exit_code = server.wait(30)
    finally:
        server.stop(signal.SIGKILL)
        if queue == "redis":
            redis.Redis.from_url(REDIS_URL).delete(stream)
    redirected = outcomes.get(302, 0)
    assert redirected >= CLICKS // 2, outcomes
    assert set(outcomes) <= {302, "ConnectError", "RemoteProtocolError", "ReadError"}, outcomes
    assert exit_code in (0, -signal.SIGTERM), server.log()[-2000:]
    assert count_events(database_url) == (redirected, redirected), (outcomes, server.log()[-2000:])
    assert not list(spool_dir.glob("*")), "the database was up: nothing should be spooled"
