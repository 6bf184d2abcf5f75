"""The webhooks page from the user menu: create a hook (its secret shown once), send it a test event,
and see the delivery in its log, against a real receiver on loopback (WEBHOOK_ALLOW_PRIVATE=true)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from linkapp.services.webhooks import signing
from tests.e2e.conftest import SCREENSHOTS
from tests.webhook_receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def _received(receiver: Receiver, count: int, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while len(receiver.received) < count:
        assert time.monotonic() < deadline, f"{len(receiver.received)} of {count} deliveries arrived in {timeout} s"
        time.sleep(0.05)
    return receiver.received[:count]


def _settled(page, selector: str) -> None:
    """Wait until `selector`'s animations (a dialog opening) have run, so a screenshot shows it whole."""
    page.locator(selector).evaluate("el => Promise.all(el.getAnimations({subtree: true}).map(a => a.finished))")


def test_hook_made_in_the_ui_gets_a_signed_test_event_shown_in_its_deliveries(page, signed_in, receiver):
    page.click("#user-menu")
    page.click("#webhooks")
    expect(page).to_have_url(re.compile(r"/settings/webhooks$"))
    expect(page.locator("#no-webhooks")).to_be_visible()

    # A hook to the receiver: a missing event is refused at its field first.
    page.click("#new-webhook")
    page.fill("#webhook-url", receiver.url)
    page.fill("#webhook-description", "Local receiver")
    page.click("#save-webhook")
    expect(page.locator("#webhook-events-error")).to_contain_text("Choose one or more")
    _settled(page, "#webhook-dialog")
    page.screenshot(path=str(SCREENSHOTS / "webhooks-new-1280.png"))
    page.click("#event-link-created")
    page.click("#event-link-clicked")
    page.click("#save-webhook")

    # The secret, once, with a warning and a copy button.
    expect(page.locator("#webhook-secret-dialog")).to_contain_text("it will not be shown again")
    secret = page.locator("#webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    page.click("#copy-webhook-secret")
    expect(page.get_by_text("Secret copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    _settled(page, "#webhook-secret-dialog")
    page.screenshot(path=str(SCREENSHOTS / "webhooks-secret-1280.png"))
    page.click("#close-webhook-secret")
    expect(page.locator("#webhook-secret")).to_have_count(0)
    row = page.locator(".webhook-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(receiver.url)
    expect(row).to_contain_text("Local receiver")
    expect(row.locator(".event-badge")).to_have_text(["link.clicked", "link.created"])
    expect(row.locator(".last-status")).to_have_text("No deliveries yet")
    page.reload()
    expect(page.locator(".webhook-row")).to_have_count(1)
    assert secret not in page.content()

    # A test event: the receiver gets it signed with that secret, and the log shows the attempt.
    page.locator(".send-test").click()
    expect(page.get_by_text("Test event queued")).to_be_visible()
    (delivery,) = _received(receiver, 1)
    assert delivery.event["type"] == "ping"
    assert signing.verify(secret, delivery.body, delivery.headers["linkapp-signature"])
    page.locator(".show-deliveries").click()
    attempt = page.locator(".delivery-row")
    expect(attempt).to_have_count(1)
    expect(attempt).to_contain_text("ping")
    expect(attempt).to_contain_text("200")
    expect(attempt).to_contain_text(" ms")
    expect(page.locator("#deliveries-range")).to_have_text("1–1 of 1")
    _settled(page, "#deliveries-dialog")
    page.screenshot(path=str(SCREENSHOTS / "webhooks-deliveries-1280.png"))
    page.click("#close-deliveries")
    expect(row.locator(".last-status")).to_contain_text(": 200")

    # Disabled, it takes no test event; deleted after confirming, it is gone.
    row.locator(".webhook-enabled").click()
    expect(page.get_by_text("Webhook disabled")).to_be_visible()
    expect(row.locator(".webhook-enabled")).to_have_attribute("aria-checked", "false")
    expect(row.locator(".disabled-badge")).to_be_visible()
    expect(row.locator(".send-test")).to_be_disabled()
    _settled(page, ".webhook-row")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "webhooks-light-1280.png"), full_page=True)
    row.locator(".delete-webhook").click()
    expect(page.locator("#delete-webhook-dialog")).to_contain_text(receiver.url)
    page.click("#confirm-delete-webhook")
    expect(page.get_by_text("Webhook deleted")).to_be_visible()
    expect(page.locator("#no-webhooks")).to_be_visible()


def test_a_failing_hook_is_flagged_and_the_page_fits_a_phone(page, signed_in, receiver):
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/settings/webhooks")
    page.click("#new-webhook")
    page.fill("#webhook-url", receiver.url + "/with/a/rather/long/path/that/must/not/widen/the/page")
    page.click("#event-ping")
    page.click("#save-webhook")
    page.click("#close-webhook-secret")
    expect(page.locator("#webhook-secret-dialog")).to_have_count(0)
    row = page.locator(".webhook-row")
    expect(row).to_have_count(1)

    # The receiver fails the test event: the attempt says so, and the hook is flagged as failing.
    receiver.answer(500)
    row.locator(".send-test").click()
    row.locator(".show-deliveries").click()
    expect(page.locator(".delivery-row").first).to_contain_text("500")
    page.click("#close-deliveries")
    expect(page.locator("#deliveries-dialog")).to_have_count(0)
    expect(row.locator(".failing-badge")).to_contain_text("Failing since")
    expect(row.locator(".last-status")).to_contain_text(": 500")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the webhooks page is {width}px wide on a 375px screen"
    page.screenshot(path=str(SCREENSHOTS / "webhooks-dark-375.png"), full_page=True)
