"""The click journal: a segment lives until all its clicks are safe elsewhere; after a crash, the
segments nobody holds become spool files with exactly the clicks they kept."""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime

from linkapp.models.click import Click
from linkapp.services.clicks import journal as journal_module
from linkapp.services.clicks import spool
from linkapp.services.clicks.journal import ClickJournal


def clicks(count: int, link_id: int = 7) -> list[Click]:
    return [Click(link_id=link_id, clicked_at=datetime.now(UTC), ip_address=f"198.51.100.{n % 250}", user_agent="Mozilla/5.0 test") for n in range(count)]


def segments(directory) -> list:
    return sorted((directory / journal_module.DIRECTORY).glob(f"*{journal_module.SUFFIX}"))


def test_a_segment_goes_once_rotated_and_all_its_clicks_are_settled(tmp_path, monkeypatch):
    monkeypatch.setattr(journal_module, "SEGMENT_BYTES", 4096)  # a few clicks a segment
    journal = ClickJournal(tmp_path)
    first = clicks(60)
    for click in first:
        journal.append(click)
    assert len(segments(tmp_path)) > 2

    journal.settle(first[:-1])
    assert len(segments(tmp_path)) == 1  # the current segment holds the last click
    journal.settle(first[-1:])
    assert len(segments(tmp_path)) == 1  # still the current one: it takes the next clicks
    journal.close()
    assert segments(tmp_path) == [] and not (tmp_path / journal_module.DIRECTORY).exists()


def test_unsettled_clicks_of_a_dead_process_are_recovered_into_the_spool(tmp_path):
    journal = ClickJournal(tmp_path)
    kept = clicks(5)
    for click in kept:
        journal.append(click)
    journal.settle(kept[:2])  # stored before the "crash": replayed too, and skipped by click id
    # What kill -9 leaves: the mapping's bytes are in the file, at its full size, unlocked.
    path = segments(tmp_path)[0]
    journal._current.map.close()  # the mapping holds a copy of the descriptor, and so the lock
    os.close(journal._current.fd)  # drops the lock, as the kernel does for a dead process
    journal._current = None

    moved = ClickJournal(tmp_path).recover()

    assert [p.name for p in moved] == [path.stem + spool.SUFFIX]
    assert spool.files(tmp_path) == moved
    assert [Click.from_line(line) for line in moved[0].read_bytes().splitlines()] == kept
    assert segments(tmp_path) == []


def test_a_live_process_keeps_its_segments(tmp_path):
    journal = ClickJournal(tmp_path)
    for click in clicks(3):
        journal.append(click)
    assert ClickJournal(tmp_path).recover() == []  # another worker starting now leaves them
    assert len(segments(tmp_path)) == 1
    fd = os.open(segments(tmp_path)[0], os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            raise AssertionError("the segment should be locked by its writer")
        except BlockingIOError:
            pass
    finally:
        os.close(fd)
