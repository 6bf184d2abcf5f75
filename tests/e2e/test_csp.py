"""The Content-Security-Policy in Chromium: every page works under it, and nothing breaks it."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER_UA, api_link

# Stand-ins for what /docs and /redoc load from jsDelivr (no internet here): each says it ran.
SWAGGER_STUB = (
    "window.SwaggerUIBundle = (config) => { document.body.dataset.docs = config.url; };"
    "SwaggerUIBundle.presets = {apis: null}; SwaggerUIBundle.SwaggerUIStandalonePreset = null;"
)
REDOC_STUB = "document.body.dataset.docs = document.querySelector('redoc').getAttribute('spec-url');"


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
    assert violations == []


@pytest.mark.parametrize(("path", "stub"), [("/docs", SWAGGER_STUB), ("/redoc", REDOC_STUB)])
def test_api_docs_may_load_their_cdn_and_run_their_own_script(violations, page, path, stub):
    page.route("https://cdn.jsdelivr.net/**/*.js", lambda route: route.fulfill(body=stub, content_type="text/javascript"))
    page.route("https://cdn.jsdelivr.net/**/*.css", lambda route: route.fulfill(body="", content_type="text/css"))
    page.route("https://fonts.googleapis.com/**", lambda route: route.fulfill(body="", content_type="text/css"))
    page.route("https://fastapi.tiangolo.com/**", lambda route: route.fulfill(body=b"", content_type="image/png"))
    response = page.goto(path)
    assert "https://cdn.jsdelivr.net" in response.headers["content-security-policy"]
    expect(page.locator("body")).to_have_attribute("data-docs", "/openapi.json")
    assert violations == []
