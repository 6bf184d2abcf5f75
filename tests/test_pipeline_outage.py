"""The database goes away under load: the redirect keeps answering and no click is lost or doubled.

Runs the real app against a throwaway PostgreSQL cluster of its own (initdb in a temporary
directory, on a free port), which the tests stop and start; the machine's main cluster, which
other tests use, is never touched.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.live import count_events, fire, free_port, short_code, start_server


def _pg_bin() -> Path | None:
    candidates = [Path(os.environ["PG_BIN"])] if os.environ.get("PG_BIN") else sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((path for path in candidates if (path / "initdb").exists()), None)


class ThrowawayCluster:
    """A PostgreSQL cluster in a temporary directory, run as the `postgres` user when we are root."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="linkapp-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")  # initdb refuses to run as root

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def create_database(self) -> str:
        name = f"linkapp_{os.urandom(4).hex()}"
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb) under /usr/lib/postgresql/*/bin; set PG_BIN")
    if os.geteuid() == 0 and (shutil.which("runuser") is None or subprocess.run(["id", "postgres"], capture_output=True, check=False).returncode):
        pytest.skip("running as root needs runuser and a `postgres` user to run initdb")
    cluster = ThrowawayCluster(bin_dir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def spooled_lines(spool_dir: Path) -> int:
    return sum(len(path.read_text().splitlines()) for path in spool_dir.glob("*.jsonl"))


async def wait_for_events(url: str, expected: int, timeout: float = 30) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while (counts := count_events(url))[0] < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
    return counts


async def test_database_restart_mid_load_loses_no_click(cluster, tmp_path):
    url = cluster.create_database()
    env = {"SPOOL_DIR": str(tmp_path / "spool"), "CLICK_FLUSH_INTERVAL": "0.05"}
    server = start_server(url, tmp_path / "server.log", backend_only=True, extra_env=env)
    try:
        code = short_code(server)
        assert await fire(server.base_url, code, 100, concurrency=16) == {302: 100}
        cluster.stop()
        # Answered from the link cache; the clicks wait in the writer, which keeps retrying.
        assert await fire(server.base_url, code, 100, concurrency=16) == {302: 100}
        await asyncio.sleep(1.5)
        cluster.start()
        assert await fire(server.base_url, code, 50, concurrency=16) == {302: 50}
        assert await wait_for_events(url, 250) == (250, 250), server.log()[-3000:]
        assert server.stop() in (0, -signal.SIGTERM)
    finally:
        server.stop(signal.SIGKILL)
    assert count_events(url) == (250, 250)
    assert "failed" in server.log()  # the outage was seen, and lived through


async def test_sigterm_while_database_down_spools_then_restart_replays(cluster, tmp_path):
    url = cluster.create_database()
    spool_dir = tmp_path / "spool"
    env = {"SPOOL_DIR": str(spool_dir), "CLICK_FLUSH_INTERVAL": "0.05", "CLICK_STOP_TIMEOUT": "1"}
    server = start_server(url, tmp_path / "first.log", backend_only=True, extra_env=env)
    try:
        code = short_code(server)
        assert await fire(server.base_url, code, 60, concurrency=16) == {302: 60}
        assert await wait_for_events(url, 60) == (60, 60)
        cluster.stop()
        assert await fire(server.base_url, code, 140, concurrency=16) == {302: 140}
        started = time.monotonic()
        exit_code = server.stop(signal.SIGTERM, timeout=30)
        stopped_in = time.monotonic() - started
    finally:
        server.stop(signal.SIGKILL)
    assert exit_code in (0, -signal.SIGTERM), server.log()[-3000:]
    assert stopped_in < 15, "shutdown must not wait for the database"
    assert spooled_lines(spool_dir) == 140, server.log()[-3000:]

    cluster.start()
    server = start_server(url, tmp_path / "second.log", backend_only=True, extra_env=env)
    try:
        assert await wait_for_events(url, 200) == (200, 200), server.log()[-3000:]
        deadline = time.monotonic() + 10
        while list(spool_dir.glob("*.jsonl")) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert not list(spool_dir.glob("*.jsonl")), "a replayed spool file is deleted"
    finally:
        server.stop()
    assert count_events(url) == (200, 200)
