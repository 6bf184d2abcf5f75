"""API keys from the user menu: make one (shown once), use it from a script, revoke it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS


def _open_keys(page) -> None:
    page.click("#user-menu")
    page.click("#api-keys")
    expect(page.locator("#api-key-name")).to_be_visible()


def test_key_made_in_the_ui_works_for_scripts_until_revoked(page, signed_in, base_url):
    _open_keys(page)
    expect(page.locator("#no-api-keys")).to_be_visible()
    page.fill("#api-key-name", "nightly report")
    page.click("#create-api-key")
    secret = page.locator("#new-api-key").inner_text()
    assert secret.startswith("lk_")
    row = page.locator(".api-key-row").first
    expect(row).to_contain_text("nightly report")
    expect(row).to_contain_text(secret[:10] + "…")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "api-keys-dialog.png"))

    me = httpx.get(f"{base_url}/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["username"] == signed_in["username"]

    # Shown once: closing and opening again no longer shows it.
    page.click("#close-api-keys")
    _open_keys(page)
    expect(page.locator("#new-api-key")).to_have_count(0)
    page.locator(".api-key-row button").first.click()
    expect(page.get_by_text("Key revoked")).to_be_visible()
    expect(page.locator("#no-api-keys")).to_be_visible()
    assert httpx.get(f"{base_url}/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


# UTC+14: its day differs from UTC's from 10:00 UTC on, so a date shown in UTC would differ then.
FAR_EAST = "Pacific/Kiritimati"


@pytest.fixture
def far_east_page(page):
    """The browser's clock in FAR_EAST, from before it signs in."""
    page.context.new_cdp_session(page).send("Emulation.setTimezoneOverride", {"timezoneId": FAR_EAST})
    return page


def test_key_dates_are_days_in_the_browsers_zone(far_east_page, signed_in):
    page = far_east_page
    expect(page.locator("#empty-state")).to_be_visible()  # the dashboard has learnt the zone and loaded
    _open_keys(page)
    page.fill("#api-key-name", "far east script")
    page.click("#create-api-key")
    today_there = datetime.now(ZoneInfo(FAR_EAST)).strftime("%b %-d, %Y")
    expect(page.locator(".api-key-row").first).to_contain_text(today_there)


def test_key_without_a_name_is_refused_at_the_field(page, signed_in):
    page.set_viewport_size({"width": 375, "height": 800})
    _open_keys(page)
    page.fill("#api-key-name", "   ")
    page.click("#create-api-key")
    expect(page.locator("#api-key-name-error")).to_contain_text("name")
    expect(page.locator("#new-api-key")).to_have_count(0)
    page.fill("#api-key-name", "phone script")
    page.click("#create-api-key")
    expect(page.locator("#new-api-key")).to_be_visible()
    expect(page.locator(".api-key-row")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "api-keys-dialog-phone.png"))
    dialog_width = page.evaluate("document.querySelector('#api-key-table').scrollWidth")
    assert dialog_width <= 375, f"the keys table is {dialog_width}px wide on a 375px screen"
