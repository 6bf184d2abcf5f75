"""`kill -9` of the app while its clicks wait in memory (no Redis): the journal keeps every
answered click, and the next start stores each of them once."""

from __future__ import annotations

import signal
import time

import pytest

from tests.live import count_events, fire, short_code, start_server

CLICKS = 300


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_kill_9_loses_no_answered_click(backend, temp_databases, tmp_path):
    database_url = getattr(temp_databases, backend)()
    spool_dir = tmp_path / "spool"
    # The writer waits 60 s for a batch to gather: every answered click is still in memory when
    # the process is killed, half of them under load.
    env = {"CLICK_FLUSH_INTERVAL": "60", "SPOOL_DIR": str(spool_dir)}
    server = start_server(database_url, tmp_path / "first.log", backend_only=True, extra_env=env)
    try:
        code = short_code(server)

        def kill_midway(answered: int) -> None:
            if answered == CLICKS // 2:
                server.signal(signal.SIGKILL)

        outcomes = await fire(server.base_url, code, CLICKS, concurrency=16, on_answer=kill_midway)
        assert server.wait(30) == -signal.SIGKILL
    finally:
        server.stop(signal.SIGKILL)
    answered = outcomes.get(302, 0)
    assert answered >= CLICKS // 2, outcomes
    assert count_events(database_url) == (0, 0), "the writer was told to wait: nothing was stored before the kill"
    assert list((spool_dir / "journal").glob("*.journal")), "the answered clicks are on disk"

    restarted = start_server(database_url, tmp_path / "second.log", backend_only=True, extra_env={"SPOOL_DIR": str(spool_dir)}, migrate_first=False)
    try:
        deadline = time.monotonic() + 30
        while count_events(database_url)[0] < answered and time.monotonic() < deadline:
            time.sleep(0.2)
        stored, distinct = count_events(database_url)
    finally:
        restarted.stop()
    # Every answered click, once; a request the kill cut off may have been journaled before its
    # answer was lost on the way, so a few more may be stored, never fewer.
    assert distinct == stored, "a click stored twice"
    assert answered <= stored <= answered + 16, (answered, stored, outcomes, restarted.log()[-2000:])
    assert not list(spool_dir.rglob("*.journal")) and not list(spool_dir.glob("*.jsonl")), "recovered, stored and cleaned up"
