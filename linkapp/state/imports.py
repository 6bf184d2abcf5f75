"""ImportState: the dashboard's import dialog, from the chosen CSV file to the report.

The file comes through Reflex's upload endpoint as a stream of chunks (`rx.upload_files_chunk`)
into a background handler that keeps at most the import's size limit: nothing is written to disk,
and a file that is too big is refused without holding more than 20 MiB of it. The import runs
beside the app (`services.links.imports`); `follow` reads its progress every POLL_SECONDS while
the tab is open on the dashboard, shows the report at the end and reloads the link list.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import PurePosixPath

import reflex as rx

from linkapp import db as database
from linkapp import routes
from linkapp.core.errors import DomainError, NotFound
from linkapp.models.import_job import ImportJobPublic
from linkapp.services.links import imports
from linkapp.services.links.import_formats import FORMATS
from linkapp.services.links.import_rows import MAX_IMPORT_BYTES, MAX_ROWS
from linkapp.state import live
from linkapp.state.auth import signed_in_user_id, viewer_time_zone
from linkapp.state.links import LinksState, format_day

UPLOAD_ID = "import-file"
MODES = ("skip", "update")
POLL_SECONDS = 0.5
# A follower that has not polled for this long is gone (its process stopped): another may start.
FOLLOWER_GONE_SECONDS = 10 * POLL_SECONDS
MAX_FOLLOW_SECONDS = 3600
ACTIVE = ("queued", "running")
FINISHED = ("done", "failed")
END_TOASTS = {"done": "Import finished: Import shows the report.", "failed": "The import stopped: Import shows why."}
FORMAT_LABELS = {fmt.name: fmt.label for fmt in FORMATS}
FORMAT_NAMES = "Linkapp, Bitly, Shlink, YOURLS, Kutt or Dub"
LIMITS = f"Up to {MAX_ROWS:,} links and {MAX_IMPORT_BYTES // (1024 * 1024)} MiB per file."
# Why the browser refused a file before sending it (react-dropzone's error codes).
REFUSALS = {
    "file-too-large": f"The file is over {MAX_IMPORT_BYTES // (1024 * 1024)} MiB; split it into smaller files.",
    "file-invalid-type": "Choose a CSV file (.csv).",
    "too-many-files": "Choose one file at a time.",
}


def _file_name(path: str | None) -> str:
    """The name a file was chosen by, without the folders a dropped directory adds."""
    return PurePosixPath(path).name[:255] if path else ""


class ImportState(rx.State):
    """The import dialog: the form, then the job's progress, then its report."""

    open: bool = False
    mode: str = "skip"
    error: str = ""
    # The file the error is about ("": none chosen): choosing another one hides the error.
    error_file: str = ""
    uploading: bool = False
    # The job shown: its status is "" while the form is.
    job_id: str = ""
    status: str = ""
    filename: str = ""
    format_label: str = ""
    total: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict] = []
    detail: str = ""
    # The last finished import, offered on the form ("" when there is none).
    last_summary: str = ""
    _last_id: str = ""
    # When the tab's follower last polled (0: none runs).
    _follow_beat: float = 0.0

    @rx.var
    def running(self) -> bool:
        return self.status in ACTIVE

    @rx.var
    def finished(self) -> bool:
        return self.status in FINISHED

    @rx.var
    def percent(self) -> int:
        return self.processed * 100 // self.total if self.total else 0

    @rx.var
    def progress_label(self) -> str:
        return f"{self.processed:,} of {self.total:,} rows · {self.percent}%"

    @rx.var
    def outcome(self) -> str:
        """The report's first line: every row read, or where and why the import stopped."""
        if self.status == "done":
            return f"{self.filename} ({self.format_label}): all {self.total:,} rows read."
        stopped = f"The import of {self.filename} stopped after {self.processed:,} of {self.total:,} rows."
        return f"{stopped} {self.detail}" if self.detail else stopped

    @rx.var
    def unlisted_errors(self) -> int:
        """Failed rows beyond those the job keeps (the first 1,000)."""
        return max(0, self.failed - len(self.errors))

    def _take(self, job: ImportJobPublic) -> None:
        """Show `job`: its counts, and its failed rows when there are new ones."""
        self.job_id, self.status = job.id, job.status
        self.filename = job.filename or "your file"
        self.format_label = FORMAT_LABELS.get(job.format, job.format)
        self.total, self.processed = job.total, job.processed
        self.created, self.updated, self.skipped, self.failed = job.created, job.updated, job.skipped, job.failed
        # Failed rows only grow: resent only when there are more (up to 1,000 of them).
        if len(job.errors) != len(self.errors):
            self.errors = [{"row": error.row, "msg": error.msg} for error in job.errors]
        self.detail = job.detail or ""

    def _to_form(self) -> None:
        self.job_id, self.status, self.error, self.detail, self.errors = "", "", "", "", []

    async def _latest(self) -> ImportJobPublic | None:
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return None
        async with database.session() as db:
            return await imports.latest_import(db=db, owner_id=user_id)

    async def _summarize_last(self, job: ImportJobPublic | None) -> None:
        if job is None or job.status not in FINISHED:
            self.last_summary, self._last_id = "", ""
            return
        when = format_day(job.finished_at or job.created_at, await viewer_time_zone(self))
        outcome = "stopped" if job.status == "failed" else f"{job.created:,} created, {job.updated:,} updated, {job.skipped:,} skipped, {job.failed:,} failed"
        self.last_summary = f"Last import: {job.filename or 'a file'} on {when}, {outcome}."
        self._last_id = job.id

    @rx.event
    async def resume(self):
        """As the dashboard appears: an import under way (started before a reload, or in
        another tab) shows its progress."""
        if self.running or self.uploading:
            return ImportState.follow
        job = await self._latest()
        if job is not None and job.status in ACTIVE:
            self._take(job)
            self.open = True
            return ImportState.follow

    @rx.event
    async def show(self):
        """The Import button: the dialog, with the import under way if there is one."""
        self.open = True
        if self.running or self.uploading or self.finished:
            return
        self.error = ""
        job = await self._latest()
        if job is not None and job.status in ACTIVE:
            self._take(job)
            return ImportState.follow
        await self._summarize_last(job)

    @rx.event
    def set_open(self, value: bool):
        """Closing the dialog: a report shown is done with; an import under way goes on."""
        self.open = value
        if not value and not self.running:
            self._to_form()

    @rx.event
    def set_mode(self, value: str):
        if value in MODES:
            self.mode = value

    @rx.event
    def refused(self, rejections: list[dict]):
        """The browser refused the chosen file: why, in words."""
        codes = [error.get("code") for rejection in rejections for error in rejection.get("errors", [])]
        self.error_file = ""
        self.error = next((REFUSALS[code] for code in codes if code in REFUSALS), "That file cannot be imported; choose a CSV file.")

    @rx.event
    async def show_last(self):
        """The report of the last finished import."""
        user_id = await signed_in_user_id(self)
        if user_id is None or not self._last_id:
            return
        try:
            async with database.session() as db:
                self._take(await imports.get_import(db=db, owner_id=user_id, job_id=self._last_id))
        except NotFound:
            self.last_summary, self._last_id = "", ""

    @rx.event
    def another(self):
        """From a report back to the form."""
        self._to_form()

    @rx.event(background=True)
    async def upload(self, chunks: rx.UploadChunkIterator):
        """The chosen file as it arrives, then the import of it starts (and `follow` shows it)."""
        async with self:
            user_id = await signed_in_user_id(self)
            if user_id is None or self.uploading or self.running:
                return
            self.uploading, self.error, mode = True, "", self.mode
        try:
            data, name, error = await _read_upload(chunks)
            job = None
            if not error:
                try:
                    async with database.session() as db:
                        job = await imports.start_import(db=db, owner_id=user_id, data=data, mode=mode, filename=name)
                except DomainError as refused:  # not a file we can import, or another import runs
                    error = refused.detail
        finally:
            async with self:
                self.uploading = False
        async with self:
            if job is None:
                self.error, self.error_file = error, name
                return
            self._take(job)
            self.last_summary = ""
        yield rx.clear_selected_files(UPLOAD_ID)
        yield ImportState.follow

    @rx.event(background=True)
    async def follow(self):
        """While the tab is open on the dashboard: the import's progress every POLL_SECONDS;
        at its end the report, a fresh link list, and a toast if the dialog was closed."""
        async with self:
            if time.time() - self._follow_beat < FOLLOWER_GONE_SECONDS or not self.running:
                return  # one follower per tab is enough
            self._follow_beat = time.time()
            token = self.router.session.client_token
        started, ended = time.monotonic(), None
        try:
            while ended is None and time.monotonic() - started < MAX_FOLLOW_SECONDS:
                await asyncio.sleep(POLL_SECONDS)
                if not await live.tab_is_open(token):
                    break
                async with self:
                    if self.router.url.path not in (routes.INDEX, "") or not self.running:
                        break
                    self._follow_beat = time.time()
                    job_id, user_id = self.job_id, await signed_in_user_id(self)
                if user_id is None:  # the access token is being renewed
                    continue
                async with database.session() as db:
                    try:
                        job = await imports.get_import(db=db, owner_id=user_id, job_id=job_id)
                    except NotFound:
                        job = None
                async with self:
                    if self.job_id != job_id:
                        continue
                    if job is None:
                        self._to_form()
                        break
                    self._take(job)
                    if job.status in FINISHED:
                        ended = job.status, self.open
        finally:
            async with self:
                self._follow_beat = 0.0
        if ended is not None:
            yield LinksState.reload
            status, dialog_open = ended
            if not dialog_open:
                yield rx.toast.success(END_TOASTS[status]) if status == "done" else rx.toast.error(END_TOASTS[status])


async def _read_upload(chunks) -> tuple[bytes, str, str]:
    """The uploaded file's bytes (at most the import's limit plus one, so the limit can be told),
    its name, and why it cannot be imported ("" when it may)."""
    data, name = bytearray(), None
    async for chunk in chunks:
        if name is None:
            name = chunk.filename
        elif chunk.filename != name:
            return b"", "", REFUSALS["too-many-files"]
        data += chunk.data
        if len(data) > MAX_IMPORT_BYTES:
            break  # the service refuses it with the limit in words; the rest is not read
    if name is None:
        return b"", "", "Choose a CSV file first."
    return bytes(data), _file_name(name), ""
