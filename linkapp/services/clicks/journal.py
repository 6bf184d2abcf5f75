"""The click journal: every answered click is on disk before its redirect goes out.

Between the response and the writer a click lives in memory (the queue, a batch being stored),
and `kill -9`, an out-of-memory kill or a crash would lose it. So the redirect first appends
the click as one line to this process's journal file, mapped into memory: a copy into the page
cache, with no system call, which outlives the process (not the machine: there is no fsync per
click). A segment is made at its full size, so its unwritten end is zero bytes. Once the click is safe
elsewhere (stored, in the spool, in the Redis stream) it is settled; a segment file whose
clicks are all settled is deleted when the next one starts.

A process holds an exclusive `flock` on each of its segments. At start, segments no live
process holds (their process died) are moved into the spool directory, whose replay stores
them; the store skips click ids it already has, so a click that was stored just before the
crash is not counted twice. The lines are the spool's own format.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import mmap
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from linkapp.core.logs import Throttled
from linkapp.models.click import Click
from linkapp.services.clicks import spool

log = logging.getLogger(__name__)

DIRECTORY = "journal"  # under SPOOL_DIR
SUFFIX = ".journal"
SEGMENT_BYTES = 8 * 1024 * 1024  # about 25,000 clicks; a settled segment is deleted on the next one


class Segment:
    """One journal file: its mapping, how much of it is written, its clicks not yet settled, and
    whether it still takes new ones."""

    __slots__ = ("path", "fd", "map", "used", "pending", "open")

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd
        self.map = mmap.mmap(fd, SEGMENT_BYTES)
        self.used = 0
        self.pending = 0
        self.open = True

    def write(self, line: bytes) -> None:
        end = self.used + len(line)
        self.map[self.used : end] = line
        self.used = end

    def release(self, *, keep: bool) -> None:
        """Unmap and close; `keep` leaves the file, cut to what was written, for the next start."""
        with contextlib.suppress(OSError, ValueError):
            self.map.close()
        if keep:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, self.used)
        else:
            with contextlib.suppress(OSError):
                self.path.unlink()
        with contextlib.suppress(OSError):
            os.close(self.fd)


class ClickJournal:
    """This process's journal.

    Args:
        directory: the spool directory (SPOOL_DIR when None); the journal lives in its `journal/`.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory
        self._current: Segment | None = None
        self._unwritable = Throttled(log, 60.0)
        self._pid = os.getpid()

    @property
    def directory(self) -> Path:
        return (self._directory or spool.spool_dir()) / DIRECTORY

    def append(self, click: Click) -> None:
        """Put `click` on disk (the redirect's path: one write). A disk that refuses is logged,
        and the click goes on unjournaled rather than failing the redirect."""
        line = click.to_line()
        try:
            segment = self._segment(len(line))
            segment.write(line)
        except (OSError, ValueError) as exc:  # ValueError: a line longer than a segment
            self._unwritable.warning("click journal unwritable (%s); clicks are in memory only until stored", exc)
            return
        segment.pending += 1
        click.journal = segment

    def settle(self, clicks: Iterable[Click]) -> None:
        """`clicks` are safe elsewhere now (stored, spooled, in Redis): they leave the journal."""
        for click in clicks:
            segment = click.journal
            if segment is None:
                continue
            click.journal = None
            segment.pending -= 1
            if not segment.open and segment.pending == 0:
                segment.release(keep=False)

    def close(self) -> None:
        """At shutdown, after the writer stopped: delete the current segment if all of it is settled
        (else it stays, locked until this process exits, and the next start recovers it)."""
        segment, self._current = self._current, None
        if segment is not None:
            segment.open = False
            segment.release(keep=segment.pending > 0)
        with contextlib.suppress(OSError):
            self.directory.rmdir()  # only if empty: other workers' segments stay

    def recover(self) -> list[Path]:
        """Move every segment that no live process holds into the spool (its replay stores
        them). Returns where they went."""
        moved = []
        if not self.directory.is_dir():
            return moved
        for path in sorted(self.directory.glob(f"*{SUFFIX}")):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:  # another worker recovered it first
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a live process's
                os.close(fd)
                continue
            try:
                # A killed process left the segment at its full size: its lines end at the first zero byte.
                with open(path, "rb") as segment:
                    data = segment.read()
                end = data.find(b"\0")
                if end >= 0:
                    os.truncate(path, end)
                if end == 0 or not data:
                    path.unlink()
                    continue
                target = path.parent.parent / (path.stem + spool.SUFFIX)
                os.replace(path, target)  # same file system: the spool directory is its parent
                moved.append(target)
            except FileNotFoundError:
                continue
            finally:
                os.close(fd)
        if moved:
            log.warning("recovered %d click journal segments left by a process that stopped without storing them", len(moved))
        return moved

    def _segment(self, size: int) -> Segment:
        if os.getpid() != self._pid:  # a forked child must not write into its parent's files
            self._pid, self._current = os.getpid(), None
        current = self._current
        if current is not None and current.used + size <= SEGMENT_BYTES:
            return current
        if size > SEGMENT_BYTES:
            raise ValueError(f"a click of {size} bytes")
        if current is not None:
            current.open = False
            if current.pending == 0:
                current.release(keep=False)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"clicks-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, SEGMENT_BYTES)  # sparse: disk is used as lines are written
            self._current = Segment(path, fd)
        except OSError:
            os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return self._current
