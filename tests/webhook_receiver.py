"""A webhook receiver for the tests: real HTTP on loopback (a thread of its own), answering as
scripted, and the fixtures that pair it with a running dispatcher (WEBHOOK_ALLOW_PRIVATE=true)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text

from linkapp import db as database
from linkapp.core.config import settings
from linkapp.services.webhooks import guard, outbox
from linkapp.services.webhooks.dispatcher import Dispatcher


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived

    @property
    def event(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """Records every POST; answers each with the next scripted `(status, seconds to wait first)`, then 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: deque[tuple[int, float]] = deque()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()))
                status, wait = receiver.script.popleft() if receiver.script else (200, 0.0)
                if wait:
                    time.sleep(wait)
                try:
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender gave up waiting
                    pass

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/linkapp"

    def answer(self, *steps: int | tuple[int, float]) -> None:
        """Script the next answers: a status, or (status, seconds to hang before answering)."""
        self.script.extend(step if isinstance(step, tuple) else (step, 0.0) for step in steps)

    def start(self) -> Receiver:
        threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The first `count` requests, once they have all arrived (AssertionError after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} deliveries arrived in {timeout} s"
            await asyncio.sleep(0.01)
        return self.received[:count]


async def clear_outbox() -> None:
    """The outbox has no foreign key to users, so emptying the users does not empty it."""
    async with database.session() as db:
        await db.execute(text("DELETE FROM webhook_deliveries"))
        await db.execute(text("DELETE FROM webhook_click_batches"))
        await db.commit()
    outbox.subscribers.reset()
    guard.forget()


def quick_dispatcher(**knobs) -> Dispatcher:
    """A dispatcher whose retries come at once (receivers get 5 s to answer: a busy machine is slow)."""
    return Dispatcher(**{"backoff": lambda attempts: 0.05, "timeout": 5.0, "idle": 0.5, **knobs})


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
async def webhooks_on(db_engine, monkeypatch):
    """Hooks may target this machine (the receiver); the outbox starts and ends empty."""
    monkeypatch.setattr(settings, "WEBHOOK_ALLOW_PRIVATE", True)
    await clear_outbox()
    yield
    await clear_outbox()


@pytest.fixture
async def dispatcher(webhooks_on):
    running = quick_dispatcher()
    running.start()
    yield running
    await running.stop(grace=0.5)
