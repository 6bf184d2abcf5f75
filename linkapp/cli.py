"""`linkapp`: accounts, link import and export, and upkeep of the stored clicks, from a shell.

Every command works on the database the app is configured with (DATABASE_URL), calls the same
services as the app and the API, and exits non-zero when it could not do what was asked.
Progress and messages go to stderr, so `linkapp export --user ann > links.csv` is clean.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from linkapp import db as database
from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.core.errors import DomainError
from linkapp.models.import_job import ImportJobPublic
from linkapp.models.user import User
from linkapp.services.accounts import users
from linkapp.services.clicks import maintenance
from linkapp.services.links import export, imports
from linkapp.services.links.import_rows import read_import_file

T = TypeVar("T")
PASSWORD_TRIES = 3
SHOWN_ERRORS = 20
FILE_HELP = "A CSV export: ours, Bitly's, Shlink's, YOURLS', Kutt's or Dub's."

app = typer.Typer(
    name="linkapp",
    help="Linkapp from the command line: create accounts, import and export links, and keep the stored clicks in shape.",
    epilog="Uses the database of DATABASE_URL (or .env), as the app does.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
err = Console(stderr=True)


class Mode(str, Enum):
    skip = "skip"
    update = "update"


def _run(work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` on a fresh event loop; a domain error becomes a message and exit status 1."""

    async def main() -> T:
        try:
            return await work()
        finally:
            await database.dispose_current()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        err.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from exc


async def _user(name: str) -> User:
    async with database.session() as db:
        user = await users.get_user_by_username(db=db, username=name)
    if user is None:
        err.print(f"[red]error:[/red] no user named “{name}”.")
        raise typer.Exit(1)
    return user


@app.command("create-user")
def create_user(name: Annotated[str, typer.Argument(help="3 to 20 letters, digits or _.", metavar="NAME", show_default=False)]) -> None:
    """Create an account; asks for its password twice, without showing it.

    The password follows the same rules as on the register page (at least 8 characters, upper
    and lower case, a digit, a symbol, not a common or guessable one)."""
    for problem in users.username_problems(name):
        err.print(f"[red]error:[/red] {problem}")
        raise typer.Exit(2)
    for _ in range(PASSWORD_TRIES):
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        problems = users.password_problems(password, username=name)
        if not problems:
            break
        for problem in problems:
            err.print(f"[yellow]{problem}[/yellow]")
    else:
        err.print("[red]error:[/red] no acceptable password given; nothing was created.")
        raise typer.Exit(1)

    async def register() -> User:
        async with database.session() as db:
            return await users.register_user(db=db, username=name, password=password)

    user = _run(register)
    err.print(f"[green]Created[/green] user [bold]{user.username}[/bold] ({ids.encode_user_id(user.id)}).")


@app.command("import")
def import_links(
    file: Annotated[Path, typer.Argument(help=FILE_HELP, exists=True, dir_okay=False, readable=True, metavar="FILE")],
    user: Annotated[str, typer.Option("--user", "-u", help="Whose links the rows become.", metavar="NAME", show_default=False)],
    mode: Annotated[Mode, typer.Option(help="What a row does to a link that exists already.")] = Mode.skip,
) -> None:
    """Import links from a CSV file, with a progress bar; failed rows are listed with why."""
    async def work() -> ImportJobPublic:
        owner = await _user(user)
        with err.status(f"Reading {file.name}"):
            checked = await asyncio.to_thread(read_import_file, file.read_bytes())
        async with database.session() as db:
            job = await imports.create_job(db=db, owner_id=owner.id, file=checked, mode=mode.value, filename=file.name)
        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err) as progress:
            bar = progress.add_task(f"{checked.format.label} rows", total=checked.total)
            return await imports.run_job(job.id, checked, on_progress=lambda state: progress.update(bar, completed=state.processed))

    result = _run(work)
    _report(result)
    if result.status != "done":
        raise typer.Exit(1)


def _report(job: ImportJobPublic) -> None:
    colour = "green" if job.status == "done" else "red"
    err.print(f"Import [bold]{job.id}[/bold] ({job.format}, mode={job.mode}): [{colour}]{job.status}[/{colour}]")
    summary = Table()
    for column in ("rows", "created", "updated", "skipped", "failed"):
        summary.add_column(column, justify="right")
    summary.add_row(*(f"{value:,}" for value in (job.processed, job.created, job.updated, job.skipped, job.failed)))
    err.print(summary)
    if job.errors:
        err.print(f"Rows not imported ({job.failed:,}):")
        failures = Table("row", "why")
        for error in job.errors[:SHOWN_ERRORS]:
            failures.add_row(str(error.row), error.msg)
        err.print(failures)
        if job.failed > SHOWN_ERRORS:
            err.print(f"… and {job.failed - SHOWN_ERRORS:,} more (GET /api/v1/imports/{job.id} lists up to 1,000).")
    if job.detail:
        err.print(f"[red]{job.detail}[/red]")


@app.command("export")
def export_links(
    user: Annotated[str, typer.Option("--user", "-u", help="Whose links to export.", metavar="NAME", show_default=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.", dir_okay=False, metavar="FILE")] = None,
) -> None:
    """Write all of a user's links as CSV (the columns `linkapp import` reads back)."""
    async def work() -> int:
        owner = await _user(user)
        target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        written = -1  # the header row
        try:
            with err.status("Exporting links"):
                async for chunk in export.links_csv(owner_id=owner.id):
                    target.write(chunk)
                    written += chunk.count("\r\n")
        finally:
            if output:
                target.close()
        return written

    count = _run(work)
    err.print(f"Exported {count:,} links" + (f" to {output}." if output else "."))


@app.command("rebuild-rollups")
def rebuild_rollups() -> None:
    """Recompute every figure (the rollups) from the raw clicks, in one transaction."""
    async def work() -> int:
        async with database.session() as db:
            with err.status("Rebuilding rollups from the raw clicks"):
                return await maintenance.rebuild_rollups(db)

    err.print(f"Rebuilt the rollups from {_run(work):,} clicks.")


@app.command("rescore-bots")
def rescore_bots() -> None:
    """Apply the current bot rules to every stored click, then rebuild the rollups."""
    async def work() -> int:
        async with database.session() as db:
            with err.status("Judging stored clicks with the current bot rules"):
                return await maintenance.rescore_bots(db)

    changed = _run(work)
    err.print(f"{changed:,} clicks changed verdict" + ("; rollups rebuilt." if changed else "; nothing to rebuild."))


@app.command("purge")
def purge(
    days: Annotated[int, typer.Option(help="Delete raw clicks older than this many days; default CLICK_RETENTION_DAYS.", metavar="N", show_default=False)] = 0,
) -> None:
    """Delete raw clicks past the retention period; the figures (rollups) stay."""
    days = days or settings.CLICK_RETENTION_DAYS
    if days <= 0:
        err.print("[red]error:[/red] give --days N or set CLICK_RETENTION_DAYS.")
        raise typer.Exit(2)

    async def work() -> int:
        async with database.session() as db:
            with err.status(f"Deleting clicks older than {days} days"):
                return await maintenance.purge_old_clicks(db, days)

    err.print(f"Deleted {_run(work):,} clicks older than {days} days.")


def main() -> None:
    """The `linkapp` console script."""
    app()


if __name__ == "__main__":
    main()
