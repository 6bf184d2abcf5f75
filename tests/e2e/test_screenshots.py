"""Screenshots of the main pages, light and dark, laptop and phone, for people to look at.

Written to test-artifacts/screenshots (CI lists them). The assertions check the layout a
person would notice is broken: nothing wider than the screen, charts drawn.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER_UA, SCREENSHOTS, api_link


@pytest.fixture
def populated(page, signed_in, base_url):
    titles = ["Spring newsletter", "Launch announcement with a rather long title that must not break the table", "Docs"]
    links = [api_link(base_url, signed_in, title=title, url=f"https://example.com/{n}/a/fairly/long/path?utm=x") for n, title in enumerate(titles)]
    for n, link in enumerate(links):
        for source in ["newsletter", "twitter", "newsletter", None][: n + 2]:
            query = f"?utm_source={source}" if source else ""
            httpx.get(link["shortened_url"] + query, headers={"User-Agent": BROWSER_UA})
    return links


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_render_without_overflow(page, populated, scheme, width):
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    expect(page.locator(".link-row")).to_have_count(3)
    page.wait_for_selector("#dashboard-chart .main-svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "dashboard wider than the screen"
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{scheme}-{width}.png"), full_page=True)

    page.goto(f"/links/{populated[0]['id']}")
    expect(page.locator("#range-clicks")).not_to_have_text("0")
    page.wait_for_selector("#clicks-chart .main-svg")
    page.wait_for_selector("#source-chart .main-svg")
    page.wait_for_selector("#device-chart .main-svg")
    expect(page.locator("#bot-total")).to_contain_text("Not counted")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "link page wider than the screen"
    page.screenshot(path=str(SCREENSHOTS / f"link-{scheme}-{width}.png"), full_page=True)
