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
    visitors = [
        ("23.0.4.10", BROWSER_UA, "https://news.ycombinator.com/item"),
        ("5.9.8.20", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "https://t.co/x"),
        ("1.0.16.30", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", None),
        ("23.0.9.40", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36", None),
    ]
    for n, link in enumerate(links):
        for source, (ip, agent, referrer) in zip(["newsletter", "twitter", "newsletter", None][: n + 2], visitors, strict=False):
            query = f"?utm_source={source}" if source else ""
            headers = {"User-Agent": agent, "X-Forwarded-For": ip, **({"Referer": referrer} if referrer else {})}
            httpx.get(link["shortened_url"] + query, headers=headers)
        httpx.get(link["shortened_url"], headers={"User-Agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"})
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

    page.goto(f"/links/{populated[2]['id']}")
    expect(page.locator("#range-clicks")).not_to_have_text("0")
    page.wait_for_selector("#clicks-chart .main-svg")
    page.wait_for_selector("#source-chart .main-svg")
    page.wait_for_selector("#device-chart .main-svg")
    expect(page.locator("#bot-total")).to_contain_text("Not counted: 1 request from bots")
    assert "US" in page.locator("#country-chart").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "link page wider than the screen"
    page.screenshot(path=str(SCREENSHOTS / f"link-{scheme}-{width}.png"), full_page=True)
