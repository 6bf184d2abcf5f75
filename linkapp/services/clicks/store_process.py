"""The click writer's database work in a process of its own (CLICK_WRITER_PROCESS, on by default).

Storing a batch (enrichment, COPY, the rollup statement's parameters) is Python work. On a
thread of the app's process it held the interpreter against the redirects: under sustained load
it cut their rate and made their p99 ten times the bare server's (bench/load_bench.py). Here it
runs on the machine's other core. The app keeps the queue, the batching, the retries and the
spool; this process only stores what it is sent, one batch at a time, and says how it went.

The parent sends pickled messages over a socket pair and waits for the answer on a worker
thread, so its event loop never blocks. The child mirrors what the parent's writer would have
read: the database the app points at, its settings (tests change both), and the resets of the
caches the store keeps (salts, bursts, the owners of hooked links). A child that dies (killed, out of
memory) fails its batch, which the writer retries in a new one; the store is idempotent by click
id. With the parent gone, the child reads end-of-file and exits.

The app's webhook dispatcher runs here too (`dispatching`, on a thread of the child): its
HTTP client and bookkeeping cost the redirects a tenth of their rate at 20 deliveries a second
on the app's interpreter. The app forwards the bells its own commits ring (link events, a hook
changed) as "ring" messages; the child's commits (click events) ring the child's dispatcher.
Without the dispatcher here, those bells are rung again in the parent, where it then listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

from linkapp import db as database
from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services.clicks import rejects
from linkapp.services.clicks import store as click_store
from linkapp.services.webhooks import outbox
from linkapp.services.webhooks.running import DispatcherThread

log = logging.getLogger(__name__)
START_TIMEOUT = 60.0  # seconds the child may take to import what it needs and answer


class StoreFailed(Exception):
    """The writer's process could not store a batch (the database is down, the process died): retried."""


class StoreRefused(StoreFailed, rejects.RefusedElsewhere):
    """The database refused the batch's data itself (see `rejects`): retrying the same batch cannot help."""


def _mirror(dispatching: bool) -> tuple[tuple, dict]:
    """What the child must share with this process before it stores: a key that changes when
    any of it does, and the values themselves."""
    values = {
        "database_url": database.current_url(),
        "settings": settings.model_dump(),
        "store_generation": click_store.generation,
        "dispatching": dispatching,
    }
    key = (values["database_url"], pickle.dumps(values["settings"]), values["store_generation"], dispatching)
    return key, values


class StoreProcess:
    """The parent's handle on the child: starts it when first needed and again after it died."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._synced: tuple | None = None
        self._lock = threading.Lock()  # one batch at a time; the handle is used from worker threads
        # Whether the child runs the app's webhook dispatcher: mirrored with the next message
        # (`linkapp.lifespan` sets it, then rings).
        self.dispatching = False

    async def store(self, batch: list[Click]) -> int:
        """Store `batch` in the child; returns how many clicks were new.

        Raises:
            StoreRefused: the database refused the data (a bad value).
            StoreFailed: anything else (the database is away, the child died): retry later.
        """
        # The journal's lines, made once on the redirect: no pickling of thousands of objects here.
        stored, rung = await self._send(("store", b"".join(click.to_line() for click in batch)))
        if rung and not self.dispatching:
            outbox.bell.ring(rung)  # the dispatchers listen here, not in the child
        return stored

    async def ring(self, hook_ids: frozenset[int] | None) -> None:
        """Wake the child's dispatcher for `hook_ids` (None: hooks changed; empty: only make sure
        the child, and so its dispatcher, runs). Raises StoreFailed as `store` does."""
        await self._send(("ring", hook_ids))

    async def stop_dispatching(self) -> None:
        """Stop the child's dispatcher: it lets deliveries in flight end and gives back the rest."""
        self.dispatching = False
        if self.pid is not None:
            await self.ring(frozenset())  # the mirror tells it

    async def _send(self, message: tuple):
        key, values = _mirror(self.dispatching)
        return await asyncio.to_thread(self._call, key, values, message)

    def _call(self, key: tuple, values: dict, message: tuple):
        with self._lock:
            try:
                conn = self._ensure()
                if self._synced != key:
                    _expect(conn, ("mirror", values))
                    self._synced = key
                return _expect(conn, message)
            except (EOFError, OSError) as exc:
                self._end()
                raise StoreFailed(f"the click writer's process ended ({exc.__class__.__name__})") from exc

    def _ensure(self) -> Connection:
        if self._process is not None and self._process.poll() is None and self._conn is not None:
            return self._conn
        self._end()
        parent, child = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                # Its own group: a Ctrl-C in the terminal reaches the app, which then stops it in order.
                start_new_session=True,
            )
        finally:
            child.close()
        self._conn = Connection(parent.detach())
        if not self._conn.poll(START_TIMEOUT):
            self._end()
            raise StoreFailed(f"the click writer's process did not start within {START_TIMEOUT:.0f}s")
        _expect(self._conn, None)  # its greeting: imports done
        self._synced = None
        log.info("click writer process %d started", self._process.pid)
        return self._conn

    def _end(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None
        self._synced = None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (tests)."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    async def close(self) -> None:
        """Let the child close its database connections and exit (at shutdown)."""
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            if self._conn is not None and self._process is not None and self._process.poll() is None:
                try:
                    _expect(self._conn, ("close", None))
                    self._process.wait(10)
                except (EOFError, OSError, StoreFailed, subprocess.TimeoutExpired):
                    pass
            self._end()


def _expect(conn: Connection, message: tuple | None):
    """Send `message` (None: only read the greeting) and return the child's answer, raising its failure."""
    if message is not None:
        conn.send(message)
    outcome, value = conn.recv()
    if outcome == "ok":
        return value
    raise (StoreRefused if outcome == "refused" else StoreFailed)(value)


store_process = StoreProcess()


# --- the child ---------------------------------------------------------------------------------


class _CollectingBell(outbox.Bell):
    """Keeps the hooks that commits owed events to, for the parent to ring, and rings the
    child's own dispatcher when it runs one."""

    def __init__(self) -> None:
        super().__init__()
        self.rung: set[int] = set()

    def ring(self, hook_ids=None) -> None:
        if hook_ids is not None:
            self.rung.update(hook_ids)
        super().ring(hook_ids)


_dispatcher: DispatcherThread | None = None  # the app's webhook dispatcher, while it runs here


async def _dispatch(wanted: bool) -> None:
    global _dispatcher
    if wanted and _dispatcher is None:
        _dispatcher = DispatcherThread()
        await _dispatcher.start()
    elif not wanted and _dispatcher is not None:
        running, _dispatcher = _dispatcher, None
        await running.stop()


async def _mirror_parent(values: dict) -> None:
    for name, value in values["settings"].items():
        object.__setattr__(settings, name, value)
    if values["database_url"] != database.current_url():
        await database.configure(values["database_url"])
        # What the caches hold (salts, link owners, hooks) came from the other database.
        click_store.reset()
        outbox.subscribers.reset()
    if values["store_generation"] != click_store.generation:
        click_store.reset()
        click_store.generation = values["store_generation"]
    await _dispatch(values["dispatching"])


def _describe(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return f"{original.__class__.__name__}: {(str(original).splitlines() or [''])[0][:300]}"


def _serve(conn: Connection) -> None:
    bell = outbox.bell = _CollectingBell()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # What the imports made lives as long as the process: kept out of every full collection's walk
    # (as the worker does, linkapp.lifespan).
    gc.collect()
    gc.freeze()
    conn.send(("ok", None))
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):  # the app is gone
            break
        try:
            if kind == "mirror":
                loop.run_until_complete(_mirror_parent(payload))
                answer = None
            elif kind == "store":
                bell.rung.clear()
                batch = Click.from_lines(payload)
                answer = (loop.run_until_complete(click_store.store(batch)), frozenset(bell.rung))
            elif kind == "ring":  # the app's commits owe events: its dispatcher runs here
                if payload is None or payload:
                    outbox.Bell.ring(bell, payload)
                answer = None
            else:  # "close"
                loop.run_until_complete(_dispatch(False))
                loop.run_until_complete(database.dispose_current())
                with contextlib.suppress(OSError):
                    conn.send(("ok", None))
                break
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the writer, which retries or sets aside
            answer, outcome = _describe(exc), "refused" if rejects.refused(exc) else "failed"
        else:
            outcome = "ok"
        try:
            conn.send((outcome, answer))
        except OSError:  # the app died while this batch was stored: it retries it (by click id, once)
            break
    loop.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s click-writer: %(message)s")
    _serve(Connection(int(sys.argv[1])))
    os._exit(0)  # no lingering threads (engine pools) keep a finished writer alive
