"""Register, sign out, sign in, and a session that survives reloads, in a real browser."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, api_link, api_user, sign_in
from tests.factories import PASSWORD


def test_register_shows_rule_messages_then_lands_on_dashboard(page):
    page.goto("/register")
    page.fill("#username", "ab")
    page.fill("#password", "password")
    page.click("#submit")
    expect(page.locator("#username-error")).to_contain_text("3 to 20 characters")
    expect(page.locator(".password-error").first).to_be_visible()
    expect(page.locator("#strength-label")).to_contain_text("Very weak")

    page.fill("#username", "e2e_newcomer")
    page.fill("#password", "Tr1cky-Lemur-Path")
    expect(page.locator("#strength-label")).not_to_contain_text("Very weak")
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#empty-state")).to_be_visible()
    expect(page.locator("#user-menu")).to_contain_text("e2e_newcomer")


def test_register_says_why_a_password_is_too_easy_as_it_is_typed(page):
    page.goto("/register")
    page.fill("#username", "e2e_summer")
    page.fill("#password", "Summer2024!")
    expect(page.locator("#strength-feedback")).to_contain_text("commonly used password")
    page.screenshot(path=str(SCREENSHOTS / "register-weak-password.png"))
    page.click("#submit")
    expect(page.locator(".password-error").first).to_contain_text("too easy to guess")
    expect(page).to_have_url(re.compile(r"/register"))


def test_register_taken_username_says_so(page, base_url):
    api_user(base_url, "e2e_taken")
    page.goto("/register")
    page.fill("#username", "E2E_Taken")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    expect(page.locator("#form-error")).to_contain_text("taken")


def test_sign_in_wrong_password_shows_one_message(page, base_url):
    api_user(base_url, "e2e_wrongpw")
    page.goto("/login")
    page.fill("#username", "e2e_wrongpw")
    page.fill("#password", "Not-The-Password-1")
    page.click("#submit")
    expect(page.locator("#form-error")).to_have_text("Incorrect username or password.")


def test_session_survives_reload_and_new_tab(page, context, signed_in):
    page.reload()
    expect(page.locator("#user-menu")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))
    other = context.new_page()
    other.goto("/")
    expect(other.locator("#user-menu")).to_be_visible()


def test_session_survives_browser_restart(browser, base_url, page, signed_in, context):
    state = context.storage_state()  # what a browser keeps on disk: the persistent session cookie
    restarted = browser.new_context(base_url=base_url, storage_state=state)
    try:
        fresh = restarted.new_page()
        fresh.goto("/")
        expect(fresh.locator("#user-menu")).to_be_visible(timeout=20_000)
    finally:
        restarted.close()


def test_sign_out_revokes_the_session(page, context, base_url, browser, signed_in):
    state = context.storage_state()
    page.click("#user-menu")
    page.click("#sign-out")
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/"))
    # The cookie a thief may have copied before sign-out no longer opens the dashboard.
    stolen = browser.new_context(base_url=base_url, storage_state=state)
    try:
        other = stolen.new_page()
        other.goto("/")
        expect(other).to_have_url(re.compile(r"/login"), timeout=20_000)
    finally:
        stolen.close()


def test_signed_out_visitor_goes_to_login_and_back(page, base_url):
    user = api_user(base_url, "e2e_backagain")
    link = api_link(base_url, user, title="Come back here")
    page.goto(f"/links/{link['id']}")
    expect(page).to_have_url(re.compile(r"/login\?next=/links/"))
    page.fill("#username", "e2e_backagain")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    expect(page).to_have_url(re.compile(f"/links/{link['id']}"))
    expect(page.locator("#link-title")).to_have_text("Come back here")


def test_other_users_link_is_not_shown(page, base_url):
    owner = api_user(base_url, "e2e_owner")
    secret = api_link(base_url, owner, title="Owner only")
    api_user(base_url, "e2e_snoop")
    sign_in(page, "e2e_snoop")
    expect(page.locator("#empty-state")).to_be_visible()
    page.goto(f"/links/{secret['id']}")
    expect(page.locator("#link-not-found")).to_be_visible()
    expect(page.get_by_text("Owner only")).to_have_count(0)


def test_no_script_can_read_the_session(page, context, signed_in):
    # A script injected into the page (XSS) must find nothing that outlives one access token.
    visible = page.evaluate("() => [document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)].join(' ')")
    [refresh] = [cookie for cookie in context.cookies() if cookie["name"] == "refresh_token"]
    assert refresh["value"] not in visible and "linkapp_session" not in visible
    assert refresh["httpOnly"] is True and refresh["path"] == "/api/v1/auth" and refresh["sameSite"] == "Lax"
    assert refresh["expires"] > time.time() + 29 * 86400  # the session itself lasts 30 days


def test_the_old_script_readable_session_cookie_is_dropped(page, context, base_url, signed_in):
    # Left by the UI before it kept its session in the HttpOnly refresh cookie; a new tab's first
    # call to the API drops it.
    context.add_cookies([{"name": "linkapp_session", "value": "an-old-30-day-token", "url": base_url}])
    other = context.new_page()
    other.goto("/")
    expect(other.locator("#user-menu")).to_be_visible()
    assert "linkapp_session" not in other.evaluate("() => document.cookie")


def test_an_open_page_renews_its_access_token_before_it_expires(page, context, signed_in):
    # The server under test issues one-minute access tokens: the page must renew its own, through
    # the cookie, and keep working past the first token's end without a reload.
    started = time.monotonic()
    before = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "refresh_token")
    with page.expect_response(lambda response: response.url.endswith("/api/v1/auth/refresh"), timeout=60_000) as renewal:
        pass
    assert renewal.value.status == 200
    after = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "refresh_token")
    assert after != before  # rotated, as every refresh is
    page.wait_for_timeout(max(0.0, 62 - (time.monotonic() - started)) * 1000)
    page.click("#empty-new-link")
    page.fill("#link-url", "https://example.com/after-renewal")
    page.fill("#link-title", "Made after the first token expired")
    page.click("#save-link")
    expect(page.locator(".link-row .link-title").first).to_have_text("Made after the first token expired")
    expect(page).to_have_url(re.compile(r"/$"))
