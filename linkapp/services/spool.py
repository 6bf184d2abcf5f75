"""The click spool: JSON-lines files that keep clicks the database could not take.

Each spill is one file, written under a temporary name, fsynced and renamed, so a file that
exists is complete. Replaying stores a file's clicks (the store ignores click ids it already
has) and deletes the file only after all of them are stored; a replay cut short is simply
done again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from linkapp.core.config import settings
from linkapp.models.click import Click

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"
PARTIAL = ".partial"


def setting(name: str, default):
    """A click-pipeline setting: from Settings when it has the field, else the environment.

    The pipeline's settings join Settings with the analytics issue; the environment fallback
    lets them be used before that, with the same names.
    """
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None:
        return default
    return type(default)(value) if default is not None else value


def spool_dir() -> Path:
    """Where spool files live (SPOOL_DIR, `spool` by default)."""
    return Path(setting("SPOOL_DIR", "spool"))


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
    with partial.open("w", encoding="utf-8") as out:
        for click in clicks:
            out.write(json.dumps(click.to_dict(), separators=(",", ":")) + "\n")
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
    on_done: Callable[[Path, list[Click]], None] | None = None,
) -> int:
    """Store every spooled click through `store`, deleting each file once it is stored.

    Args:
        store: writes a batch, idempotent by click id (`click_store.store`).
        directory: the spool directory; SPOOL_DIR by default.
        batch_size: clicks per `store` call.
        on_done: called with each file and its clicks after the file is stored and deleted.

    Returns:
        How many clicks the replayed files held.

    Raises:
        Exception: whatever `store` raised; that file and later ones stay for the next replay.
    """
    replayed = 0
    for path in files(directory):
        try:
            clicks = await read(path)
        except FileNotFoundError:
            continue  # another process sharing the directory replayed it already
        for start in range(0, len(clicks), batch_size):
            await store(clicks[start : start + batch_size])
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        log.info("replayed %d spooled clicks from %s", len(clicks), path.name)
        replayed += len(clicks)
        if on_done is not None:
            on_done(path, clicks)
    return replayed
