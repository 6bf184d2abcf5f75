"""Browser fixtures: Debian's Chromium driven by Playwright against the compiled production app."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# target.test is the site short links lead to: a name, since links to loopback addresses are refused.
TARGET_HOST = "target.test"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    f"--host-resolver-rules=MAP {TARGET_HOST} 127.0.0.1",
]
# A person's browser: HeadlessChrome in the agent would (rightly) be counted as a bot.
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"


@pytest.fixture(scope="session")
def fresh_artifacts():
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


# Per module, not per session: Playwright's sync API keeps an event loop running while it is
# open, and the async tests that run after the browser tests need the thread's loop back.
@pytest.fixture(scope="module")
def browser(fresh_artifacts):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def base_url(prod_server) -> str:
    return prod_server.base_url


@pytest.fixture
def context(browser, base_url, request):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900}, user_agent=BROWSER_UA)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    yield context
    reports = [getattr(request.node, f"rep_{when}", None) for when in ("setup", "call")]
    if any(report is not None and report.failed for report in reports):
        (ARTIFACTS / "failures").mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(context.pages):
            page.screenshot(path=str(ARTIFACTS / "failures" / f"{request.node.name}-{number}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


class _Target(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        body = b"<!doctype html><title>Target</title><h1>Target</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture(scope="session")
def target_site() -> Iterator[str]:
    """A local site for short links to lead to, so a browser can follow one with no internet."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{TARGET_HOST}:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def api_user(base_url: str, username: str) -> dict:
    """A user made through the REST API (fast), for tests that are not about registering."""
    response = httpx.post(f"{base_url}/api/v1/auth/register", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    body["headers"] = {"Authorization": f"Bearer {body['access_token']}"}
    return body


def api_link(base_url: str, user: dict, **fields) -> dict:
    response = httpx.post(f"{base_url}/api/v1/links", json={"url": "https://example.com/page", **fields}, headers=user["headers"])
    assert response.status_code == 201, response.text
    return response.json()


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_selector("#links-table, #empty-state")


@pytest.fixture
def signed_in(page, base_url, request) -> Iterator[dict]:
    """A fresh user, signed in through the login page."""
    username = ("u" + request.node.name.replace("test_", "").replace("_", ""))[:16] + str(abs(hash(request.node.nodeid)) % 1000)
    user = api_user(base_url, username)
    sign_in(page, username)
    yield user
