"""Import and export in the browser: a CSV file chosen in the dialog, the progress bar while it
imports, the report with the failed rows, the links in the list; the CSV downloads."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import expect

from linkapp.services.analytics.exports import CLICK_COLUMNS
from linkapp.services.links.export import LINK_COLUMNS
from tests.e2e.conftest import SCREENSHOTS, api_link

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "imports"
FILE_INPUT = "#import-drop input[type=file]"
# The most one file may hold: long enough to watch, and to open another tab meanwhile.
ROWS = 100_000
# Every text the progress label shows, in order (the report replaces it at the end).
RECORD_PROGRESS = """() => {
  window.progressSeen = [];
  new MutationObserver(() => {
    const label = document.querySelector('#import-progress-label');
    if (label && label.textContent !== window.progressSeen.at(-1)) window.progressSeen.push(label.textContent);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def _download(page, *clicks: str, timeout: float = 20_000) -> tuple[str, list[list[str]]]:
    with page.expect_download(timeout=timeout) as info:
        for selector in clicks:
            page.click(selector)
    download = info.value
    return download.suggested_filename, list(csv.reader(io.StringIO(Path(download.path()).read_text())))


def _shot(page, name: str, scheme: str, width: int) -> None:
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{scheme}-{width}.png"))


def test_import_bitly_file_reports_failed_rows_and_lists_the_links(page, signed_in, tmp_path):
    page.click("#import-links")
    expect(page.locator("#import-dialog")).to_be_visible()
    expect(page.locator("#start-import")).to_be_disabled()
    # A file of no known format: said in words, nothing imported.
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("name,phone\nAda,123\n")
    page.set_input_files(FILE_INPUT, str(contacts))
    expect(page.locator("#import-chosen")).to_have_text("contacts.csv")
    page.click("#start-import")
    expect(page.locator("#import-error")).to_contain_text("The header row (name, phone) is not one we know")

    page.set_input_files(FILE_INPUT, str(SAMPLES / "bitly.csv"))
    expect(page.locator("#import-chosen")).to_have_text("bitly.csv")
    expect(page.locator("#import-error")).to_have_count(0)  # it was about the other file
    for scheme, width in (("light", 375), ("dark", 1280)):
        _shot(page, "import-form", scheme, width)
    page.emulate_media(color_scheme="light")
    page.click("#start-import")

    report = page.locator("#import-report")
    expect(report).to_be_visible()
    expect(page.locator("#import-done")).to_have_text("bitly.csv (Bitly): all 5 rows read.")
    expect(page.locator("#import-created")).to_have_text("3")
    expect(page.locator("#import-failed")).to_have_text("2")
    failed = page.locator(".import-error-row")
    expect(failed).to_have_count(2)
    assert [cell.split("\t")[0] for cell in failed.all_inner_texts()] == ["5", "6"]
    expect(failed.first).to_contain_text("URL")
    for scheme, width in (("light", 1280), ("dark", 375)):
        _shot(page, "import-report", scheme, width)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.click("#close-import-report")
    expect(page.locator("#import-dialog")).to_have_count(0)
    # The list reloaded on its own: the imported links are there.
    expect(page.locator(".link-row")).to_have_count(3)
    expect(page.locator(".link-row", has_text="Launch post, part 1")).to_contain_text("launch-post")

    name, rows = _download(page, "#export-menu", "#export-links")
    assert name.startswith("links-") and name.endswith(".csv")
    assert rows[0] == list(LINK_COLUMNS)
    assert {row[4] for row in rows[1:]} == {"launch-post", "4XyZ123", "docsx1"}
    assert {row[2] for row in rows[1:]} == {"https://blog.example.com/launch?ref=bitly&x=1", "https://example.com/no-title", "https://docs.example.com/"}


def test_progress_bar_follows_a_long_import_and_a_new_tab_shows_it(page, signed_in, context, tmp_path):
    big = tmp_path / "many.csv"
    big.write_text("url,title\n" + "".join(f"https://example.com/page/{number},Page {number}\n" for number in range(ROWS)))
    page.click("#import-links")
    page.set_input_files(FILE_INPUT, str(big))
    page.click("#import-mode-update")
    page.evaluate(RECORD_PROGRESS)
    page.click("#start-import")
    expect(page.locator("#import-running")).to_be_visible()

    # A tab opened now (its own state) finds the import under way and shows its progress.
    other = context.new_page()
    other.goto("/")
    expect(other.locator("#import-running")).to_be_visible(timeout=30_000)
    expect(other.locator("#import-progress")).to_be_visible()
    expect(other.locator("#import-links")).to_contain_text("Importing")
    other.close()

    expect(page.locator("#import-progress-label")).not_to_have_text("0 of 100,000 rows · 0%")
    for scheme, width in (("light", 1280), ("dark", 375)):
        _shot(page, "import-running", scheme, width)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})

    expect(page.locator("#import-report")).to_be_visible(timeout=180_000)
    expect(page.locator("#import-done")).to_have_text("many.csv (Linkapp): all 100,000 rows read.")
    expect(page.locator("#import-created")).to_have_text("100000")
    seen = [int(text.split(" of ")[0].replace(",", "")) for text in page.evaluate("window.progressSeen")]
    assert seen == sorted(seen) and any(0 < count < ROWS for count in seen), f"the bar did not move: {seen}"
    page.click("#close-import-report")
    expect(page.locator("#page-label")).to_have_text("1–10 of 100000")

    # The whole list comes down in one file (about 13 MB) through the page's state.
    _, rows = _download(page, "#export-menu", "#export-links", timeout=120_000)
    assert len(rows) == ROWS + 1 and rows[-1][2] == f"https://example.com/page/{ROWS - 1}"


def test_link_page_exports_its_clicks(page, signed_in, base_url):
    link = api_link(base_url, signed_in, title="Menu")
    page.goto(f"/links/{link['id']}")
    expect(page.locator("#export-clicks")).to_be_visible()
    for scheme, width in (("light", 1280), ("dark", 375)):
        _shot(page, "link-page-export", scheme, width)

    name, rows = _download(page, "#export-clicks")

    assert name.startswith(f"clicks-{link['id']}-") and name.endswith(".csv")
    assert rows == [list(CLICK_COLUMNS)]
