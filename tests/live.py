"""Start the real app as production does (`python -m linkapp.serve`, the image's command), for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrate(database_url: str) -> None:
    """`alembic upgrade head` on `database_url`, as the image's migrate step runs it."""
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run([str(VENV_BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)


@dataclass
class LiveServer:
    process: subprocess.Popen
    base_url: str
    log_path: Path
    database_url: str

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the whole process group and wait; returns the exit code."""
        self.signal(sig)
        return self.wait(timeout)

    def signal(self, sig: int = signal.SIGTERM) -> None:
        """Signal the whole process group without waiting (as an orchestrator stopping it does)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)

    def wait(self, timeout: float = 30) -> int:
        """Wait for the exit (SIGKILL after `timeout` seconds); returns the exit code."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(
    database_url: str,
    log_path: Path,
    *,
    backend_only: bool = False,
    extra_env: dict | None = None,
    timeout: float = 240,
    migrate_first: bool = True,
    port: int | None = None,
) -> LiveServer:
    """Migrate `database_url` (unless told not to), start the app on `port` (a free one by
    default) and wait until /healthz answers.

    The whole app runs as the image runs it (`python -m linkapp.serve`: the frontend is built
    only when it changed); `backend_only` runs the API and the short links alone, with no frontend.
    """
    port = port or free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOST_URL": f"http://127.0.0.1:{port}",
        "REFLEX_USE_SYSTEM_BUN": "true",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        # Never the checkout's ./spool: a developer's leftovers would be replayed into the test database.
        "SPOOL_DIR": str(log_path.parent / "spool"),
        **(extra_env or {}),
    }
    if migrate_first:
        migrate(database_url)
    if backend_only:
        command = [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--backend-only", "--backend-port", str(port)]
    else:
        command = [sys.executable, "-m", "linkapp.serve", "--port", str(port)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = log_path.open("w")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = LiveServer(process, f"http://127.0.0.1:{port}", log_path, database_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}:\n{server.log()[-3000:]}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                if backend_only or httpx.get(server.base_url + "/", timeout=5).status_code == 200:
                    return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.stop(signal.SIGKILL)
    raise RuntimeError(f"the app did not answer within {timeout}s:\n{server.log()[-3000:]}")


BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def count_events(database_url: str) -> tuple[int, int]:
    """Rows in link_events, and how many distinct click ids they hold."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text("SELECT count(*), count(DISTINCT click_id) FROM link_events")).one())
    finally:
        engine.dispose()


def short_code(server: LiveServer, username: str = "pipeline") -> str:
    """Register a user through the API and return the code of a new link of theirs."""
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        registered = http.post("/api/v1/auth/register", json={"username": username, "password": "Corr3ct-Horse!"})
        assert registered.status_code == 201, f"{registered.status_code} {registered.text}\n{server.log()[-3000:]}"
        headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
        link = http.post("/api/v1/links", json={"url": "https://example.com/landing"}, headers=headers)
        assert link.status_code == 201, link.text
        return link.json()["shortened_url"].rsplit("/", 1)[1]


async def fire(base_url: str, code: str, count: int, *, concurrency: int = 50, on_answer=None) -> dict[int | str, int]:
    """GET /{code} `count` times with a browser's agent, `concurrency` at once.

    Returns how many requests got each status; a request the server did not answer (it was
    shutting down) counts under its exception's name. `on_answer(n)` runs after the n-th answer.
    """
    import asyncio
    from collections import Counter

    outcomes: Counter = Counter()
    answered = 0
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=15, limits=limits, headers={"User-Agent": BROWSER_UA}) as http:

        async def one() -> None:
            nonlocal answered
            async with gate:
                try:
                    outcomes[(await http.get(f"/{code}")).status_code] += 1
                except httpx.HTTPError as exc:
                    outcomes[exc.__class__.__name__] += 1
                    return
            answered += 1
            if on_answer is not None:
                on_answer(answered)

        await asyncio.gather(*(one() for _ in range(count)))
    return dict(outcomes)
