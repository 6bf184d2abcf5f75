"""The security page from the user menu: sessions, password, activity and deleting the account."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS
from tests.factories import PASSWORD

IPHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
NEW_PASSWORD = "Quiet-Lantern-42!"


def _open_security(page) -> None:
    page.click("#user-menu")
    page.click("#security")
    expect(page).to_have_url(re.compile(r"/settings/security$"))
    expect(page.locator("#security-page")).to_be_visible()


def _sign_in_from_a_phone(base_url: str, username: str) -> str:
    """A second session of the account's, from an iPhone; returns its refresh token."""
    response = httpx.post(f"{base_url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, headers={"User-Agent": IPHONE_UA})
    assert response.status_code == 200, response.text
    return response.cookies["refresh_token"]


def _renews(base_url: str, refresh_token: str) -> bool:
    return httpx.post(f"{base_url}/api/v1/auth/refresh", json={"refresh_token": refresh_token}).status_code == 200


def _signs_in(base_url: str, username: str, password: str) -> bool:
    return httpx.post(f"{base_url}/api/v1/auth/login", json={"username": username, "password": password}).status_code == 200


def _settled(page, selector: str) -> None:
    """Wait until `selector`'s animations (a dialog opening) have run, so a screenshot shows it whole."""
    page.locator(selector).evaluate("el => Promise.all(el.getAnimations({subtree: true}).map(a => a.finished))")


def _full_page_shot(page, name: str) -> None:
    # From the top: scrolled, a full-page shot draws the sticky top bar across the middle.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _fits(page, width: int, what: str) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{what} is {scroll_width}px wide on a {width}px screen"


def test_security_page_signs_out_changes_password_shows_activity_and_deletes(page, signed_in, base_url):
    username = signed_in["username"]
    phone_token = _sign_in_from_a_phone(base_url, username)
    _open_security(page)

    # This browser, the phone, and the script that registered the account (a session too).
    rows = page.locator(".session-row")
    expect(rows).to_have_count(3)
    expect(rows.first.locator(".this-browser")).to_have_text("This browser")
    expect(rows.first).to_contain_text("Chrome")
    expect(rows.first.locator(".revoke-session")).to_have_count(0)
    phone = rows.filter(has_text="Mobile Safari")
    expect(phone).to_contain_text("Phone")
    expect(phone).to_contain_text("127.0.0.0/24")
    _full_page_shot(page, "security-light-1280.png")

    # Sign the phone out, after saying yes.
    phone.locator(".revoke-session").click()
    expect(page.locator("#sign-out-dialog")).to_contain_text("Mobile Safari on a phone will have to sign in again.")
    _settled(page, "#sign-out-dialog")
    page.screenshot(path=str(SCREENSHOTS / "security-sign-out-dialog-1280.png"))
    page.click("#confirm-sign-out")
    expect(page.get_by_text("Session signed out")).to_be_visible()
    expect(rows).to_have_count(2)
    assert not _renews(base_url, phone_token)
    # Then every other one.
    page.click("#sign-out-others")
    expect(page.locator("#sign-out-dialog")).to_contain_text("except this one")
    page.click("#confirm-sign-out")
    expect(page.get_by_text("Signed out everywhere else")).to_be_visible()
    expect(rows).to_have_count(1)
    expect(page.locator("#sign-out-others")).to_be_disabled()

    # Change the password: the meter judges the new one as it is typed, wrong answers show at the field.
    page.fill("#current-password", "Not-The-Password-1")
    page.fill("#new-password", "Summer2024!")
    expect(page.locator("#new-strength-feedback")).to_contain_text("commonly used password")
    page.fill("#new-password", NEW_PASSWORD)
    expect(page.locator("#new-strength-label")).not_to_contain_text("Weak")
    page.click("#change-password")
    expect(page.locator("#current-password-error")).to_have_text("The password is not right.")
    page.fill("#current-password", PASSWORD)
    page.click("#change-password")
    expect(page.get_by_text("Password changed; other sessions were signed out")).to_be_visible()
    expect(page.locator("#current-password")).to_have_value("")
    assert _signs_in(base_url, username, NEW_PASSWORD) and not _signs_in(base_url, username, PASSWORD)

    # Everything above is in the activity, newest first, in words.
    events = page.locator(".activity-row")
    expect(events.first).to_contain_text("Password changed")
    expect(page.locator("#activity-table")).to_contain_text("Session revoked")
    expect(page.locator("#activity-table")).to_contain_text("Signed in")
    expect(page.locator("#activity-table")).to_contain_text("Account created")
    # The phone's refresh token, presented after it was signed out, was refused: a stale device, not theft.
    expect(page.locator("#activity-table")).not_to_contain_text("Reused session blocked")
    expect(page.locator("[data-sonner-toast]")).to_have_count(0, timeout=15_000)
    page.locator("#activity").screenshot(path=str(SCREENSHOTS / "security-activity-1280.png"))

    # Delete the account: the password and the typed username, then the browser is signed out.
    page.click("#delete-account")
    page.fill("#delete-password", NEW_PASSWORD)
    expect(page.locator("#confirm-delete-account")).to_be_disabled()
    page.fill("#delete-confirm", username)
    expect(page.locator("#confirm-delete-account")).to_be_enabled()
    page.click("#confirm-delete-account")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_text("Your account was deleted")).to_be_visible()
    assert not _signs_in(base_url, username, NEW_PASSWORD)
    page.goto("/settings/security")
    expect(page).to_have_url(re.compile(r"/login\?next=/settings/security"))


@pytest.mark.parametrize(("scheme", "width"), [("light", 375), ("dark", 1280), ("dark", 375)])
def test_security_page_fits_the_screen(page, signed_in, base_url, scheme, width):
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in_from_a_phone(base_url, signed_in["username"])
    _open_security(page)
    expect(page.locator(".session-row")).to_have_count(3)
    page.fill("#new-password", "aaaaaaA1!")
    expect(page.locator("#new-strength-feedback")).to_be_visible()
    _fits(page, width, "the security page")
    _full_page_shot(page, f"security-{scheme}-{width}.png")

    page.click("#delete-account")
    page.fill("#delete-confirm", signed_in["username"])
    expect(page.locator("#confirm-delete-account")).to_be_enabled()
    _settled(page, "#delete-account-dialog")
    _fits(page, width, "the delete dialog")
    page.screenshot(path=str(SCREENSHOTS / f"security-delete-{scheme}-{width}.png"))
