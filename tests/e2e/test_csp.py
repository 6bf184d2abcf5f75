"""The Content-Security-Policy in Chromium: every page works under it, and nothing breaks it."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER_UA, api_link


@pytest.fixture
def violations(context) -> list[str]:
    """Every CSP violation in the context's pages: the DOM's events and Chromium's console reports.

    Ask for it before `page`/`signed_in`, so that it watches from the first page on."""
    found: list[str] = []
    context.expose_function("reportViolation", lambda text: found.append(text))
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => window.reportViolation(`${e.violatedDirective} blocked ${e.blockedURI} on ${location.pathname}`))"
    )
    context.on("console", lambda message: found.append(message.text) if "Content Security Policy" in message.text else None)
    return found


def assert_page_policy(response) -> None:
    policy = response.headers["content-security-policy"]
    assert "'sha256-" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_signed_out_pages_run_under_the_policy(violations, page):
    assert_page_policy(page.goto("/login"))
    page.fill("#username", "someone")
    assert_page_policy(page.goto("/register"))
    page.fill("#username", "newcomer")
    page.fill("#password", "Tr1cky-Lemur-Path")
    response = page.goto("/no/such/page")
    assert response.status == 404
    assert_page_policy(response)
    expect(page.locator("#not-found")).to_be_visible()
    assert violations == []


def test_signed_in_pages_and_charts_run_under_the_policy(violations, signed_in, page, base_url):
    link = api_link(base_url, signed_in, title="Under policy", url="https://example.com/policy")
    assert httpx.get(link["shortened_url"] + "?utm_source=newsletter", headers={"User-Agent": BROWSER_UA}).status_code == 302
    assert_page_policy(page.reload())
    page.wait_for_selector("#dashboard-chart .main-svg")
    # Copying runs code through the client's eval: the reason for 'unsafe-eval'.
    page.locator(".copy-link:visible").first.click()
    expect(page.get_by_text("Short URL copied")).to_be_visible()

    assert_page_policy(page.goto(f"/links/{link['id']}"))
    expect(page.locator("#range-clicks")).to_have_text("1")
    for chart in ("#clicks-chart", "#source-chart", "#device-chart"):
        page.wait_for_selector(f"{chart} .main-svg")
    page.click("#back")
    expect(page.locator(".link-row")).to_have_count(1)

    assert_page_policy(page.goto("/settings/security"))
    expect(page.locator("#security-page")).to_be_visible()
    assert_page_policy(page.goto("/settings/webhooks"))
    expect(page.locator("#webhooks-page")).to_be_visible()
    assert violations == []


@pytest.mark.parametrize(("path", "title"), [("/docs", "#swagger-ui .info .title"), ("/redoc", "h1")])
def test_api_docs_render_offline_under_their_policy(violations, page, path, title):
    # Nothing the page needs leaves the machine (ReDoc's logo may: offline it just does not show).
    outside: list[str] = []

    def refuse(route) -> None:
        if route.request.resource_type != "image":
            outside.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), refuse)
    page.goto(path)
    expect(page.locator(title).first).to_contain_text("Linkapp API")
    if path == "/docs":  # the bearer scheme: the Authorize button
        expect(page.locator(".btn.authorize")).to_be_visible()
    assert violations == [] and outside == []
