"""ImportState: a CSV file uploaded through the dialog, the import's progress followed, its
report with the failed rows, and the refusals said in words."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import reflex as rx
from sqlalchemy import update

from linkapp import db as database
from linkapp.core.times import utcnow
from linkapp.models.import_job import ImportJob
from linkapp.services.links import imports
from linkapp.services.links.import_rows import MAX_IMPORT_BYTES, read_import_file
from linkapp.state import imports as import_state
from linkapp.state.imports import ImportState
from tests.state.conftest import Tab, make_member, signed_in_tab, stored_links

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "imports"
CHUNK = 64 * 1024


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    monkeypatch.setattr(import_state, "POLL_SECONDS", 0.01)


async def chunks(data: bytes, filename: str = "links.csv") -> rx.UploadChunkIterator:
    """`data` as Reflex's upload endpoint hands a file to the handler: chunk by chunk."""
    pieces = [data[offset : offset + CHUNK] for offset in range(0, len(data), CHUNK)] or [b""]
    upload = rx.UploadChunkIterator(maxsize=len(pieces) + 1)
    for number, piece in enumerate(pieces):
        await upload.push(rx.UploadChunk(filename=filename, offset=number * CHUNK, content_type="text/csv", data=piece))
    await upload.finish()
    return upload


def named(sent, name: str) -> list:
    return [event for event in sent.events if event.name.endswith("." + name)]


async def upload(tab: Tab, data: bytes, filename: str = "links.csv"):
    await tab.fire(ImportState.show)
    return await tab.fire(ImportState.upload, await chunks(data, filename))


async def test_upload_starts_the_import_and_the_report_names_the_failed_rows(member, member_tab):
    sent = await upload(member_tab, (SAMPLES / "bitly.csv").read_bytes(), "bitly.csv")

    dialog = member_tab[ImportState]
    assert (dialog.open, dialog.error, dialog.filename, dialog.format_label, dialog.total) == (True, "", "bitly.csv", "Bitly", 5)
    assert dialog.running and not dialog.uploading
    assert named(sent, "follow"), "the dialog does not follow the import"
    assert any("__clear_selected_files" in str(event.payload) for event in sent.events), "the chosen file stays chosen"

    ended = await member_tab.fire(ImportState.follow)

    assert (dialog.status, dialog.processed, dialog.percent, dialog.progress_label) == ("done", 5, 100, "5 of 5 rows · 100%")
    assert (dialog.created, dialog.updated, dialog.skipped, dialog.failed) == (3, 0, 0, 2)
    assert [error["row"] for error in dialog.errors] == [5, 6]
    assert all(error["msg"] for error in dialog.errors)
    assert dialog.outcome == "bitly.csv (Bitly): all 5 rows read."
    assert named(ended, "reload"), "the link list is not reloaded"
    assert ended.toasts == []  # the dialog is open: the report is there
    assert len(await stored_links(member)) == 3


async def test_update_mode_is_the_one_chosen(member, member_tab):
    await member_tab.fire(ImportState.set_mode, "everything")
    assert member_tab[ImportState].mode == "skip"
    await member_tab.fire(ImportState.set_mode, "update")

    await upload(member_tab, b"url,title\nhttps://example.com/a,A\n")

    async with database.session() as db:
        job = await imports.latest_import(db=db, owner_id=member.user_id)
    assert job.mode == "update"


async def test_follow_shows_progress_and_reopened_page_finds_it(member):
    rows = "".join(f"https://example.com/{number}\n" for number in range(2500))
    async with database.session() as db:
        job = await imports.create_job(db=db, owner_id=member.user_id, file=read_import_file(f"url\n{rows}".encode()), filename="big.csv")

    async def progress(**values) -> None:  # the job's counters, as its batches write them
        async with database.session() as db:
            await db.execute(update(ImportJob).where(ImportJob.id == job.id).values(updated_at=utcnow(), **values))
            await db.commit()

    # The page was reloaded meanwhile: as the dashboard appears, the import under way shows.
    tab = await signed_in_tab(member.session_token)
    sent = await tab.fire(ImportState.resume)
    dialog = tab[ImportState]
    assert (dialog.open, dialog.status, dialog.filename, dialog.total, dialog.processed) == (True, "queued", "big.csv", 2500, 0)
    assert named(sent, "follow")

    following = asyncio.create_task(tab.fire(ImportState.follow))
    await progress(status="running", processed=1000, created=990, failed=10, errors=[{"row": 7, "msg": "Only http:// and https:// URLs can be shortened."}])
    await until(lambda: dialog.processed == 1000)
    assert (dialog.percent, dialog.progress_label, dialog.failed, dialog.errors[0]["row"]) == (40, "1,000 of 2,500 rows · 40%", 10, 7)

    await tab.fire(ImportState.set_open, False)  # closed while it runs: it goes on
    assert (dialog.open, dialog.running) == (False, True)
    await progress(status="done", processed=2500, created=2490, finished_at=utcnow())
    ended = await asyncio.wait_for(following, 10)

    assert (dialog.status, dialog.created, dialog.percent) == ("done", 2490, 100)
    assert named(ended, "reload")
    assert ended.toasts == [("success", import_state.END_TOASTS["done"])]
    await tab.fire(ImportState.show)  # the Import button: the report waits there
    assert (dialog.open, dialog.finished) == (True, True)


async def until(condition, deadline: float = 10) -> None:
    end = asyncio.get_running_loop().time() + deadline
    while not condition():
        assert asyncio.get_running_loop().time() < end, "timed out"
        await asyncio.sleep(0.01)


async def test_a_file_of_no_known_format_is_refused_in_words(member_tab):
    sent = await upload(member_tab, b"name,phone\nAda,123\n", "contacts.csv")

    dialog = member_tab[ImportState]
    assert dialog.error.startswith("The header row (name, phone) is not one we know: export from Linkapp, Bitly, Shlink")
    assert dialog.error_file == "contacts.csv"  # shown while that file is the one chosen
    assert (dialog.status, dialog.uploading) == ("", False)
    assert not named(sent, "follow")


async def test_a_file_over_20_mib_is_refused_in_words(member_tab):
    await upload(member_tab, b"url\n" + b"x" * MAX_IMPORT_BYTES)
    assert member_tab[ImportState].error == "An import file is at most 20 MiB."


async def test_a_file_that_is_not_utf8_is_refused_in_words(member_tab):
    await upload(member_tab, "url,title\nhttps://example.com,Café\n".encode("latin-1"))
    assert "not UTF-8" in member_tab[ImportState].error


async def test_a_second_import_while_one_runs_is_refused(member, member_tab):
    async with database.session() as db:
        running = await imports.create_job(db=db, owner_id=member.user_id, file=read_import_file(b"url\nhttps://example.com/\n"))

    await upload(Tab("/"), b"")  # signed out: nothing happens
    other_tab = await signed_in_tab(member_tab.refresh_cookie)  # another tab of the same browser
    await other_tab.fire(ImportState.upload, await chunks(b"url\nhttps://example.com/b\n"))

    assert other_tab[ImportState].error == f"An import is already under way ({running.id}); wait for it to finish."
    assert other_tab[ImportState].status == ""


async def test_signed_out_tab_starts_nothing(member, tab):
    await upload(tab, (SAMPLES / "bitly.csv").read_bytes())
    assert tab[ImportState].status == ""
    async with database.session() as db:
        assert await imports.latest_import(db=db, owner_id=member.user_id) is None


async def test_file_the_browser_refused_is_explained(member_tab):
    too_big = {"code": "file-too-large", "message": "File is larger than 20971520 bytes"}
    await member_tab.fire(ImportState.refused, [{"file": {"path": "big.csv"}, "errors": [too_big]}])
    assert member_tab[ImportState].error == "The file is over 20 MiB; split it into smaller files."
    not_csv = {"code": "file-invalid-type", "message": "File type must be text/csv"}
    await member_tab.fire(ImportState.refused, [{"file": {"path": "a.xlsx"}, "errors": [not_csv]}])
    assert member_tab[ImportState].error == "Choose a CSV file (.csv)."


async def test_report_lists_the_first_thousand_failed_rows_and_counts_the_rest(member_tab):
    await upload(member_tab, b"url\n" + b"ftp://example.com/file\n" * 1005)
    await member_tab.fire(ImportState.follow)

    dialog = member_tab[ImportState]
    assert (dialog.failed, len(dialog.errors), dialog.unlisted_errors) == (1005, 1000, 5)
    assert dialog.errors[0] == {"row": 2, "msg": "Only http:// and https:// URLs can be shortened."}


async def test_closing_the_report_brings_back_the_form_and_offers_the_last_report(member, member_tab):
    await upload(member_tab, (SAMPLES / "bitly.csv").read_bytes(), "bitly.csv")
    await member_tab.fire(ImportState.follow)
    await member_tab.fire(ImportState.set_open, False)
    assert (member_tab[ImportState].status, member_tab[ImportState].errors) == ("", [])

    await member_tab.fire(ImportState.show)
    dialog = member_tab[ImportState]
    assert dialog.status == "" and dialog.last_summary.startswith("Last import: bitly.csv on ")
    assert dialog.last_summary.endswith(", 3 created, 0 updated, 0 skipped, 2 failed.")
    await member_tab.fire(ImportState.show_last)
    assert (dialog.status, dialog.created, [error["row"] for error in dialog.errors]) == ("done", 3, [5, 6])


async def test_another_users_import_is_not_shown(member_tab):
    stranger = await make_member()
    async with database.session() as db:
        await imports.create_job(db=db, owner_id=stranger.user_id, file=read_import_file(b"url\nhttps://example.com/\n"))

    await member_tab.fire(ImportState.resume)
    await member_tab.fire(ImportState.show)
    assert (member_tab[ImportState].status, member_tab[ImportState].last_summary) == ("", "")
