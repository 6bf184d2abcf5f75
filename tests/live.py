"""Start the real app the way the README does (`reflex run --env prod`), for end-to-end tests."""

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


@dataclass
class LiveServer:
    process: subprocess.Popen
    base_url: str
    log_path: Path
    database_url: str

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the whole process group and wait; returns the exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(database_url: str, log_path: Path, *, backend_only: bool = False, extra_env: dict | None = None, timeout: float = 240) -> LiveServer:
    """Migrate `database_url`, start the app on a free port and wait until /healthz answers."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOST_URL": f"http://127.0.0.1:{port}",
        "REFLEX_USE_SYSTEM_BUN": "true",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        **(extra_env or {}),
    }
    subprocess.run([str(VENV_BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)
    mode = ["--backend-only", "--backend-port", str(port)] if backend_only else ["--single-port", "--frontend-port", str(port), "--backend-port", str(port)]
    log_file = log_path.open("w")
    process = subprocess.Popen(
        [str(VENV_BIN / "reflex"), "run", "--env", "prod", *mode],
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
