"""QR codes in the browser: the dialog from a row of the list and from the link page, its
downloads (made by the page's state, no credential needed), and a scan counted as source qr."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER_UA, SCREENSHOTS, api_link
from tests.qr_codes import decode_png, decode_svg, png_size


def _download(page, button: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.click(button)
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def _sources(base_url: str, user: dict, link: dict, deadline: float = 10) -> list[dict]:
    """The link's clicks by source, once a click has arrived (clicks are written in the background)."""
    end = time.monotonic() + deadline
    while True:
        figures = httpx.get(f"{base_url}/api/v1/analytics/links/{link['id']}", headers=user["headers"]).json()
        if figures["clicks_by_source"] or time.monotonic() > end:
            return figures["clicks_by_source"]
        time.sleep(0.2)


def test_qr_dialog_from_a_row_downloads_svg_and_png(page, signed_in, base_url):
    link = api_link(base_url, signed_in, title="Lunch menu", slug="lunch-qr")
    page.reload()
    page.locator(".link-row .qr-link").first.click()

    dialog = page.locator("#qr-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#qr-link-title")).to_have_text("Lunch menu")
    expect(page.locator("#qr-short-url")).to_have_text(link["shortened_url"])
    # The image has loaded and is drawn at its size (an <img> that failed would be 0 wide).
    expect(page.locator("#qr-image")).to_have_js_property("complete", True)
    assert page.locator("#qr-image").evaluate("img => img.naturalWidth") > 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "qr-dialog.png"))

    scanned = f"{link['shortened_url']}?utm_source=qr"
    name, svg = _download(page, "#qr-download-svg")
    assert (name, decode_svg(svg)) == ("qr-lunch-qr.svg", scanned)
    page.click("#qr-png-size")
    page.get_by_role("option", name="2048 px").click()
    name, png = _download(page, "#qr-download-png")
    assert (name, png_size(png), decode_png(png)) == ("qr-lunch-qr-2048.png", (2048, 2048), scanned)

    page.click("#close-qr")
    expect(dialog).to_have_count(0)


def test_qr_dialog_from_the_link_page_and_a_scan_counts_as_qr(page, signed_in, base_url, target_site, browser):
    link = api_link(base_url, signed_in, url=f"{target_site}/menu", title="Menu card")
    page.goto(f"/links/{link['id']}")
    expect(page.locator("#show-qr")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "qr-link-page-button.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 320})
    page.click("#show-qr")
    expect(page.locator("#qr-dialog")).to_be_visible()
    expect(page.locator("#qr-short-url")).to_have_text(link["shortened_url"])
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(SCREENSHOTS / "qr-dialog-phone.png"))

    name, png = _download(page, "#qr-download-png")
    assert (name, png_size(png)) == (f"qr-{link['id']}-1024.png", (1024, 1024))
    scanned = decode_png(png)

    # A phone opens what it read: it lands on the target, which is not told about the marker.
    phone = browser.new_context(user_agent=BROWSER_UA)
    try:
        visit = phone.new_page()
        visit.goto(scanned)
        expect(visit.locator("h1")).to_have_text("Target")
        assert visit.url == f"{target_site}/menu"
    finally:
        phone.close()
    assert _sources(base_url, signed_in, link) == [{"source": "qr", "clicks": 1}]
