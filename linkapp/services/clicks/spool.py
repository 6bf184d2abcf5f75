"""The click spool: JSON-lines files that keep clicks the database could not take.

Each spill is one file, written under a temporary name, fsynced and renamed, so a file that
exists is complete. Replaying stores a file's clicks (the store ignores click ids it already
has) and deletes the file only after all of them are stored; a replay cut short is simply
done again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from linkapp.core import metrics, retry
from linkapp.core.config import settings
from linkapp.models.click import Click

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"
PARTIAL = ".partial"


def spool_dir() -> Path:
    """Where spool files live (SPOOL_DIR, `spool` by default)."""
    return Path(settings.SPOOL_DIR)


def files(directory: Path | None = None) -> list[Path]:
    """Complete spool files, oldest first."""
    directory = directory or spool_dir()
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if path.name.endswith(SUFFIX))


def _write(directory: Path, clicks: list[Click]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    name = f"clicks-{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    partial = directory / (name + PARTIAL)
    with partial.open("wb") as out:
        for click in clicks:
            out.write(click.to_line())
        out.flush()
        os.fsync(out.fileno())
    final = directory / (name + SUFFIX)
    os.replace(partial, final)
    # The rename itself must survive a crash too.
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


async def write(clicks: list[Click], directory: Path | None = None) -> Path:
    """Write `clicks` to a new spool file (durably) and return its path.

    Raises:
        OSError: the file could not be written; nothing was spooled.
    """
    return await asyncio.to_thread(_write, directory or spool_dir(), clicks)


def _read(path: Path) -> list[Click]:
    clicks = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                clicks.append(Click.from_dict(json.loads(line)))
            except (ValueError, TypeError):
                log.error("spool file %s line %d is not a click; skipped: %r", path, number, line[:200])
    return clicks


async def read(path: Path) -> list[Click]:
    """The clicks in one spool file."""
    return await asyncio.to_thread(_read, path)


async def replay(
    store: Callable[[list[Click]], Awaitable[int]],
    *,
    directory: Path | None = None,
    batch_size: int = 1000,
    only: Callable[[], set[str]] | None = None,
    on_done: Callable[[Path, list[Click] | None], None] | None = None,
) -> int:
    """Store every spooled click through `store`, deleting each file once it is stored.

    Args:
        store: writes a batch, idempotent by click id (`click_store.store`).
        directory: the spool directory; SPOOL_DIR by default.
        batch_size: clicks per `store` call.
        only: the names of the files to replay (all of them by default).
        on_done: called with each file and its clicks once it is stored and deleted (None for
            the clicks when another process sharing the directory replayed the file first).

    Returns:
        How many clicks the replayed files held.

    Raises:
        Exception: whatever `store` raised; that file and later ones stay for the next replay.
    """
    directory = directory or spool_dir()
    replayed = 0
    present = files(directory)
    wanted = only() if only is not None else None
    if wanted is not None:
        present = [path for path in present if path.name in wanted]
        # Listed as ours but gone: another process sharing the directory replayed it.
        missing = wanted - {path.name for path in present}
        for name in missing:
            if on_done is not None:
                on_done(directory / name, None)
    for path in present:
        try:
            clicks = await read(path)
        except FileNotFoundError:
            if on_done is not None:
                on_done(path, None)
            continue
        for start in range(0, len(clicks), batch_size):
            await store(clicks[start : start + batch_size])
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        log.info("replayed %d spooled clicks from %s", len(clicks), path.name)
        replayed += len(clicks)
        if on_done is not None:
            on_done(path, clicks)
    return replayed


class Spooler:
    """One process's side of the spool: its spills, and a task that replays them (and, once
    at start, whatever an earlier run left) when the database answers.

    Args:
        store: writes a batch, idempotent by click id.
        directory: the spool directory; SPOOL_DIR when None.
        on_replayed: gets the human clicks per link of each of this process's spills once they
            are stored (by it, or by another process sharing the directory).
    """

    def __init__(
        self,
        store: Callable[[list[Click]], Awaitable[int]],
        directory: Path | None = None,
        on_replayed: Callable[[Counter[int]], None] | None = None,
    ) -> None:
        self._store = store
        self._directory = directory
        self._on_replayed = on_replayed
        self._own: dict[str, Counter[int]] = {}  # our files not yet replayed: human clicks per link
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    @property
    def directory(self) -> Path:
        """The spool directory this process writes to and replays from."""
        return self._directory or spool_dir()

    @property
    def pending(self) -> bool:
        """Whether clicks this process spilled still wait to be replayed."""
        return bool(self._own)

    async def spill(self, clicks: list[Click]) -> bool:
        """Write `clicks` to a new spool file and wake the replay; False (logged) if the disk refused."""
        try:
            path = await write(clicks, self.directory)
        except OSError:
            log.exception("could not spool %d clicks", len(clicks))
            return False
        metrics.clicks_spooled.inc(len(clicks))
        log.warning("database unreachable: %d clicks kept in %s until it answers", len(clicks), path)
        self._own[path.name] = Counter(click.link_id for click in clicks if not click.is_bot)
        self._wake.set()
        return True

    def start(self) -> None:
        """Start replaying (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._replay_forever(), name="linkapp-spool-replay")

    async def stop(self) -> None:
        """Stop replaying; files not replayed yet stay for the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _replay_forever(self) -> None:
        # Later passes leave other processes' files alone: each replays its own while it runs.
        attempt, first = 0, True
        while True:
            self._wake.clear()
            try:
                own = None if first else (lambda: set(self._own))
                await replay(self._store, directory=self.directory, batch_size=settings.CLICK_BATCH_SIZE, only=own, on_done=self._done)
                first = False
            except Exception as exc:  # noqa: BLE001 - the database is still down: try again later
                metrics.click_store_failures.inc()
                delay = retry.delay(attempt)
                attempt += 1
                log.warning("replaying the click spool failed (%s); retrying in %.1fs", exc.__class__.__name__, delay)
                await asyncio.sleep(delay)
                continue
            attempt = 0
            await self._wake.wait()

    def _done(self, path: Path, clicks: list[Click] | None) -> None:
        if clicks:
            metrics.clicks_replayed.inc(len(clicks))
        humans = self._own.pop(path.name, None)
        if humans is not None and self._on_replayed is not None:
            self._on_replayed(humans)


def log_lost(clicks: list[Click], when: str = "at shutdown") -> None:
    """Last resort when not even the spool can be written: the clicks go to the log, as JSON lines."""
    log.error("could not spool %d clicks %s; they follow as JSON lines", len(clicks), when)
    for click in clicks:
        log.error("unstored click: %s", json.dumps(click.to_dict(), separators=(",", ":")))
