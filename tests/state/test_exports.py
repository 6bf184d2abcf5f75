"""ExportState: the CSV files the dashboard and a link's page hand the browser, written by the
state (the page holds no credential for the API's CSV routes)."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime, timedelta

from linkapp.core.config import settings
from linkapp.services.analytics.exports import CLICK_COLUMNS, SUMMARY_COLUMNS
from linkapp.services.links.export import LINK_COLUMNS
from linkapp.state import exports as export_state
from linkapp.state.exports import ExportState
from linkapp.state.link_detail import LinkDetailState
from tests.factories import store_clicks
from tests.state.conftest import make_link, make_member, signed_in_tab


def downloaded(sent) -> tuple[str, list[dict], list[str]]:
    """The file an export handed the browser: its name, its rows, and its header."""
    [event] = [event for event in sent.events if event.name == "_download"]
    prefix = "data:text/csv;base64,"
    assert event.payload["url"].startswith(prefix)
    text = base64.b64decode(event.payload["url"][len(prefix) :]).decode()
    reader = csv.DictReader(io.StringIO(text))
    return event.payload["filename"], list(reader), reader.fieldnames


async def test_link_list_export_has_every_link_with_its_tags(member, member_tab):
    first = await make_link(member, "https://example.com/one", title="One", tags=["spring", "print"])
    second = await make_link(member, "https://example.com/two", slug="two-x")
    await make_link(await make_member())  # someone else's

    filename, rows, header = downloaded(await member_tab.fire(ExportState.links_csv))

    assert filename == f"links-{datetime.now(UTC).date()}.csv"
    assert header == list(LINK_COLUMNS)
    assert [(row["id"], row["url"], row["tags"], row["slug"]) for row in rows] == [
        (first, "https://example.com/one", "print, spring", ""),
        (second, "https://example.com/two", "", "two-x"),
    ]
    assert rows[1]["short_url"] == f"{settings.HOST_URL}/two-x"
    assert member_tab[ExportState].busy == ""


async def test_summary_export_has_each_link_with_its_clicks_of_the_last_30_days(member, member_tab):
    busy = await make_link(member, title="Busy")
    quiet = await make_link(member, title="Quiet")
    recent = datetime.now(UTC) - timedelta(hours=1)
    await store_clicks({"id": busy}, recent, recent, recent)
    await store_clicks({"id": quiet}, datetime.now(UTC) - timedelta(days=40))  # before the 30 days

    filename, rows, header = downloaded(await member_tab.fire(ExportState.summary_csv))

    today = datetime.now(UTC).date()
    assert filename == f"clicks-per-link-{today - timedelta(days=29)}-{today}.csv"
    assert header == list(SUMMARY_COLUMNS)
    assert {row["title"]: row["clicks"] for row in rows} == {"Busy": "3", "Quiet": "0"}


async def test_clicks_export_has_the_clicks_of_the_range_the_page_shows(member):
    public_id = await make_link(member)
    now = datetime.now(UTC)
    await store_clicks({"id": public_id}, now - timedelta(hours=2), source="news")
    await store_clicks({"id": public_id}, now - timedelta(days=20), source="old")
    tab = await signed_in_tab(member.session_token, f"/links/{public_id}")
    page = tab[LinkDetailState]
    page.public_id, page.range_choice = public_id, "7"

    filename, rows, header = downloaded(await tab.fire(ExportState.clicks_csv))

    today = now.date()
    assert filename == f"clicks-{public_id}-{today - timedelta(days=6)}-{today}.csv"
    assert header == list(CLICK_COLUMNS)
    assert [row["source"] for row in rows] == ["news"]


async def test_clicks_export_of_another_users_link_is_refused(member_tab):
    public_id = await make_link(await make_member())
    member_tab[LinkDetailState].public_id = public_id

    sent = await member_tab.fire(ExportState.clicks_csv)

    assert sent.toasts == [("error", "No link with that id.")]
    assert [event for event in sent.events if event.name == "_download"] == []
    assert member_tab[ExportState].busy == ""


async def test_a_file_too_big_for_the_browser_points_to_the_api(member, member_tab, monkeypatch):
    for number in range(3):
        await make_link(member, f"https://example.com/{number}")
    monkeypatch.setattr(export_state, "MAX_DOWNLOAD_BYTES", 200)

    sent = await member_tab.fire(ExportState.links_csv)

    assert [event for event in sent.events if event.name == "_download"] == []
    [(kind, message)] = sent.toasts
    assert kind == "error" and "GET /api/v1/links/export.csv" in message


async def test_signed_out_tab_gets_no_file(member, tab):
    await make_link(member)
    sent = await tab.fire(ExportState.links_csv)
    assert sent.events == []
