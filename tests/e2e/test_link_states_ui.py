"""Link states in the browser: the status badges in the list, the link page's state box with its
re-enable, extend and raise-limit actions, and the branded pages a visitor of an ended link sees."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER_UA, SCREENSHOTS, api_link

VISITOR = {"User-Agent": BROWSER_UA}


def follow(link: dict) -> httpx.Response:
    """One visit by a person's browser, not followed."""
    return httpx.get(link["shortened_url"], headers=VISITOR)


def expiring_link(base_url: str, user: dict, **fields) -> dict:
    """A link that expires two seconds from now, returned once it has (its short URL no longer
    leads to its target). Asked with HEAD, which counts as no click and no visit."""
    link = api_link(base_url, user, expires_at=(datetime.now(UTC) + timedelta(seconds=2)).isoformat(), **fields)
    deadline = time.monotonic() + 15
    while httpx.head(link["shortened_url"], headers=VISITOR).headers.get("location") == link["url"]:
        assert time.monotonic() < deadline, "the link never expired"
        time.sleep(0.25)
    return link


def used_up_link(base_url: str, user: dict, **fields) -> dict:
    link = api_link(base_url, user, max_clicks=1, **fields)
    assert follow(link).status_code == 302
    return link


def row(page, link: dict):
    return page.locator(f'.link-row[data-id="{link["id"]}"]')


@pytest.fixture
def violations(context) -> list[str]:
    """CSP violations Chromium reports on the context's pages."""
    found: list[str] = []
    context.on("console", lambda message: found.append(message.text) if "Content Security Policy" in message.text else None)
    return found


def test_status_badges_in_the_list(page, signed_in, base_url):
    active = api_link(base_url, signed_in, title="Running")
    disabled = api_link(base_url, signed_in, title="Switched off")
    httpx.patch(f"{base_url}/api/v1/links/{disabled['id']}", json={"disabled": True}, headers=signed_in["headers"]).raise_for_status()
    used_up = used_up_link(base_url, signed_in, title="Sold out")
    expired = expiring_link(base_url, signed_in, title="Last week's offer")

    page.reload()

    expect(row(page, expired).locator(".link-status")).to_have_text("expired")
    expect(row(page, used_up).locator(".link-status")).to_have_text("limit reached")
    expect(row(page, disabled).locator(".link-status")).to_have_text("disabled")
    expect(row(page, active).locator(".link-status")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#links-table").screenshot(path=str(SCREENSHOTS / "link-status-badges.png"))


def test_state_box_extends_an_expired_link_and_counts_visits_after_expiry(page, signed_in, base_url, target_site):
    link = expiring_link(base_url, signed_in, url=f"{target_site}/offer", fallback_url=f"{target_site}/offer-ended", redirect_status=301)
    assert follow(link).headers["location"] == f"{target_site}/offer-ended"

    page.goto(f"/links/{link['id']}")

    expect(page.locator("#link-status")).to_have_text("expired")
    expect(page.locator("#state-redirect")).to_have_text("301 Moved Permanently")
    expect(page.locator("#state-fallback")).to_have_text(f"{target_site}/offer-ended")
    expect(page.locator("#state-limit")).to_have_text("No limit")
    expect(page.locator("#expired-visits")).to_have_text("1 visit sent to the fallback in this range, not counted as clicks")
    expect(page.locator("#range-clicks")).to_have_text("0")
    page.locator("#link-state").screenshot(path=str(SCREENSHOTS / "link-state-expired.png"))

    page.click("#extend-7")

    expect(page.locator("#link-status")).to_have_text("active")
    later = datetime.now(UTC) + timedelta(days=7)
    expect(page.locator("#state-expiry")).to_contain_text(later.strftime("%b %-d, %Y").replace(" 0", " "))
    assert follow(link).headers["location"] == f"{target_site}/offer"


def test_state_box_re_enables_and_raises_the_limit(page, signed_in, base_url):
    link = used_up_link(base_url, signed_in)
    httpx.patch(f"{base_url}/api/v1/links/{link['id']}", json={"disabled": True}, headers=signed_in["headers"]).raise_for_status()
    page.goto(f"/links/{link['id']}")
    expect(page.locator("#link-status")).to_have_text("disabled")

    page.click("#re-enable")

    expect(page.locator("#link-status")).to_have_text("limit reached")
    expect(page.locator("#state-limit")).to_have_text("1 of 1 clicks used")
    page.fill("#new-limit", "1")
    page.click("#raise-limit")
    expect(page.locator("#state-max-clicks-error")).to_contain_text("must be higher")
    page.fill("#new-limit", "5")
    page.click("#raise-limit")
    expect(page.locator("#link-status")).to_have_text("active")
    expect(page.locator("#state-limit")).to_have_text("1 of 5 clicks used")
    assert follow(link).status_code == 302


def test_branded_410_and_404_pages_in_chromium(page, signed_in, base_url, violations):
    link = used_up_link(base_url, signed_in)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        response = page.goto(link["shortened_url"])
        assert response.status == 410
        assert response.headers["cache-control"] == "private, no-store"
        expect(page).to_have_title("This link has reached its limit · Linkapp")
        expect(page.locator("#visitor-heading")).to_have_text("This link has reached its limit")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(249, 249, 251)" if scheme == "light" else "rgb(17, 17, 19)")
        page.screenshot(path=str(SCREENSHOTS / f"visitor-410-{scheme}.png"))

    response = page.goto("/no-such-code-here")
    assert response.status == 404
    expect(page.locator("#visitor-heading")).to_have_text("Nothing here")
    page.screenshot(path=str(SCREENSHOTS / "visitor-404-dark.png"))
    assert violations == []
    # A script asking the same URL gets one line of text, with the same status.
    text = httpx.get(link["shortened_url"], headers={**VISITOR, "Accept": "*/*"})
    assert (text.status_code, text.text) == (410, "Gone: this short link has reached its click limit.\n")


def test_link_form_takes_a_fallback_and_explains_redirect_types(page, signed_in, base_url):
    page.click("#empty-new-link")
    page.fill("#link-url", "https://example.com/sale")
    page.fill("#link-fallback-url", "https://example.com/sale-over")
    expect(page.get_by_text("301 and 308 say the move is permanent", exact=False)).to_be_visible()
    page.locator("#link-dialog").screenshot(path=str(SCREENSHOTS / "link-form-fallback.png"))
    page.click("#save-link")

    expect(page.locator(".link-row")).to_have_count(1)
    [link] = httpx.get(f"{base_url}/api/v1/links", headers=signed_in["headers"]).json()["items"]
    assert (link["fallback_url"], link["status"]) == ("https://example.com/sale-over", "active")
