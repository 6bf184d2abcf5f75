"""Bulk import of links from a CSV file, as a job with progress that runs beside the app.

`start_import` checks the file (size, UTF-8, a known header row, at most 100,000 rows), writes a
job and starts it as a task on this process's event loop; `get_import` (or `latest_import`)
reports its progress. The CLI calls `create_job` and `run_job` itself, to show a progress bar.

The work goes in batches of `BATCH` rows, each in one transaction that also moves the job's
counters, so the counts always say what is stored. A batch is parsed and held to the link rules
(`import_rows`) in a worker thread while the one before is written: the event loop mostly
waits for the database. Rows that fail are reported with their row number and reason; the
others are created. Each link created owes the owner's hooks `link.created` (each one updated,
`link.updated`) as if made through the API, written with its batch.

Which rows are links that exist already (skipped with `mode=skip`, changed with `mode=update`):
a row with a short code is the user's link with that code (any case); a row of our own export
without one is the link its `id` names; any other row without a code is the user's link
without a custom code that has the same URL and title. So importing a file twice with
`mode=skip` creates nothing the second time. An update changes the URL and whichever of title,
tags, expiry and click limit the file has columns for; never the short code. A code that
belongs to someone else, or repeats an earlier row's, fails that row.

A job left `queued` or `running` by a process that stopped is marked failed (never resumed):
when this process stops it marks its own; when the app starts, or someone asks for a job that
has not moved for `STALE_AFTER`, the leftovers of other processes. Importing the file again
with `mode=skip` finishes the work without doubling anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Iterator
from datetime import timedelta

import anyio
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp import db as database
from linkapp.core.errors import Conflict, NotFound, ValidationFailed
from linkapp.core.times import utcnow
from linkapp.models.import_job import MAX_DETAIL, ImportJob, ImportJobPublic
from linkapp.services.links.import_batches import BatchWriter, save_job
from linkapp.services.links.import_formats import RawLink
from linkapp.services.links.import_rows import ImportFile, RowFailure, ValidLink, check_row, read_import_file

log = logging.getLogger(__name__)
BATCH = 1_000
MODES = ("skip", "update")
STALE_AFTER = timedelta(minutes=2)
KEEP_JOBS = timedelta(days=30)
JOB_NOT_FOUND = "No import with that id."
ACTIVE = ("queued", "running")
STOPPED = "The app stopped during the import; import the file again with mode=skip to finish it."
# The tasks of this process's imports, so they are not garbage-collected mid-run and can be
# stopped (and marked failed) when the app shuts down.
_tasks: dict[str, asyncio.Task] = {}

ProgressCallback = Callable[[ImportJobPublic], None]


def public_job(job: ImportJob) -> ImportJobPublic:
    return ImportJobPublic.model_validate(job, from_attributes=True)


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValidationFailed("mode must be skip or update.", field="mode")
    return mode


async def create_job(*, db: AsyncSession, owner_id: int, file: ImportFile, mode: str = "skip", filename: str | None = None) -> ImportJob:
    """A queued job for `file`, once no other import of the owner's is under way.

    Raises:
        Conflict: the owner has an import queued or running.
    """
    _check_mode(mode)
    await _fail_stale(db, owner_id=owner_id)
    running = (await db.execute(select(ImportJob.id).where(ImportJob.owner_id == owner_id, ImportJob.status.in_(ACTIVE)))).scalars().first()
    if running is not None:
        raise Conflict(f"An import is already under way ({running}); wait for it to finish.")
    await db.execute(delete(ImportJob).where(ImportJob.owner_id == owner_id, ImportJob.created_at < utcnow() - KEEP_JOBS))
    job = ImportJob(
        id="imp_" + secrets.token_hex(10),
        owner_id=owner_id,
        mode=mode,
        format=file.format.name,
        filename=(filename or "")[:255] or None,
        total=file.total,
    )
    db.add(job)
    await db.commit()
    return job


async def start_import(*, db: AsyncSession, owner_id: int, data: bytes, mode: str = "skip", filename: str | None = None) -> ImportJobPublic:
    """Check `data` (a CSV file) and import it in the background; poll `get_import` for progress.

    Args:
        db: A session; the import itself uses its own.
        owner_id: Whose links the rows become.
        data: The file's bytes, at most 20 MiB.
        mode: `skip` or `update`: what a row does to a link that exists already.
        filename: The file's name, shown with the job.

    Raises:
        ValidationFailed: a bad mode, or a file that cannot be imported (see `read_import_file`).
        Conflict: the owner has an import queued or running.
    """
    _check_mode(mode)
    file = await anyio.to_thread.run_sync(read_import_file, data)
    job = await create_job(db=db, owner_id=owner_id, file=file, mode=mode, filename=filename)
    task = asyncio.create_task(run_job(job.id, file), name=f"linkapp-import-{job.id}")
    _tasks[job.id] = task
    task.add_done_callback(lambda _: _tasks.pop(job.id, None))
    return public_job(job)


async def get_import(*, db: AsyncSession, owner_id: int, job_id: str) -> ImportJobPublic:
    """The owner's import job; another user's is as absent as a missing one."""
    job = await db.get(ImportJob, job_id) if len(job_id) <= 32 else None
    if job is None or job.owner_id != owner_id:
        raise NotFound(JOB_NOT_FOUND)
    if job.status in ACTIVE and job.id not in _tasks and job.updated_at < utcnow() - STALE_AFTER:
        await _fail_stale(db, owner_id=owner_id)
        await db.refresh(job)
    return public_job(job)


async def latest_import(*, db: AsyncSession, owner_id: int) -> ImportJobPublic | None:
    """The owner's most recent import job (running or finished), or None: what an import page
    shows again after a reload."""
    job_id = (await db.execute(select(ImportJob.id).where(ImportJob.owner_id == owner_id).order_by(ImportJob.created_at.desc()).limit(1))).scalar()
    return None if job_id is None else await get_import(db=db, owner_id=owner_id, job_id=job_id)


async def _fail_stale(db: AsyncSession, *, owner_id: int | None = None) -> int:
    """Mark failed the queued or running jobs that have not moved for STALE_AFTER and are not
    this process's: their process stopped. Returns how many."""
    query = update(ImportJob).where(ImportJob.status.in_(ACTIVE), ImportJob.updated_at < utcnow() - STALE_AFTER)
    if owner_id is not None:
        query = query.where(ImportJob.owner_id == owner_id)
    if _tasks:
        query = query.where(ImportJob.id.not_in(list(_tasks)))
    result = await db.execute(query.values(status="failed", detail=STOPPED, finished_at=utcnow()))
    await db.commit()
    return result.rowcount


async def run_job(job_id: str, file: ImportFile, *, on_progress: ProgressCallback | None = None) -> ImportJobPublic:
    """Import `file` into job `job_id`'s owner's links, batch by batch; the job's final state.

    Never raises for the file's content: rows fail one by one. An unexpected error or a
    cancellation (the app stopping) marks the job failed (cancellation is re-raised)."""
    async with database.session() as db:
        job = await db.get(ImportJob, job_id)
        if job is None:  # its owner was deleted meanwhile
            raise NotFound(JOB_NOT_FOUND)
        db.expunge(job)  # a plain record from here on: a rolled-back batch must not expire it
        job.status = "running"
        await save_job(db, job)
        await db.commit()
        writer = BatchWriter(job)
        batches = file.batches(BATCH)
        # The next batch is read and checked in a thread while this one is written.
        checking = asyncio.ensure_future(anyio.to_thread.run_sync(_next_checked, batches))
        try:
            while (rows := await checking) is not None:
                checking = asyncio.ensure_future(anyio.to_thread.run_sync(_next_checked, batches))
                await writer.write(db, rows)
                if on_progress is not None:
                    on_progress(public_job(job))
            job.status, job.finished_at = "done", utcnow()
            await save_job(db, job)
            await db.commit()
        except asyncio.CancelledError:
            checking.cancel()
            await _give_up(db, job, STOPPED)
            raise
        except Exception:
            checking.cancel()
            log.exception("import %s failed", job_id)
            await _give_up(db, job, "The import stopped on an error of ours (it has been logged); import the file again with mode=skip to finish it.")
        return public_job(job)


def _next_checked(batches: Iterator[list[RawLink]]) -> list[ValidLink | RowFailure] | None:
    """The next batch of rows held to the link rules (in a worker thread), or None at the end."""
    raw = next(batches, None)
    if raw is None:
        return None
    now = utcnow()
    return [check_row(row, now=now) for row in raw]


async def _give_up(db: AsyncSession, job: ImportJob, detail: str) -> None:
    job.status, job.detail, job.finished_at = "failed", detail[:MAX_DETAIL], utcnow()
    with contextlib.suppress(Exception):  # the database may be what failed
        await db.rollback()
        await save_job(db, job)
        await db.commit()


async def fail_left_behind() -> int:
    """Mark failed every job another process left queued or running (see the module docstring)."""
    try:
        async with database.session() as db:
            failed = await _fail_stale(db)
    except Exception:  # the app runs without the database too; such jobs are then failed when read
        log.exception("could not look for imports a stopped process left behind")
        return 0
    if failed:
        log.warning("marked %d import(s) failed that a stopped process left behind", failed)
    return failed


@contextlib.asynccontextmanager
async def running_imports():
    """Lifespan task: fail the jobs a stopped process left behind (in the background: start-up
    does not wait for the database); at shutdown, stop this process's imports, each marking
    itself failed."""
    sweep = asyncio.create_task(fail_left_behind(), name="linkapp-import-sweep")
    try:
        yield
    finally:
        tasks = [sweep, *_tasks.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
