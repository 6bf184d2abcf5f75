"""The UI on an instance as production runs it with Redis: PostgreSQL, Reflex state in Redis,
and several worker processes. A tab's websocket, the task keeping its page current and the
writer that stores a click are usually in different workers; the page must still follow."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests import redis_server
from tests.e2e.conftest import api_link, api_user

pytestmark = [pytest.mark.own_build, pytest.mark.skipif(bool(redis_server.missing()), reason=redis_server.missing() or "")]


@pytest.fixture(scope="module")
def workers_server(temp_databases, tmp_path_factory) -> Iterator:
    from tests.live import start_server

    folder = tmp_path_factory.mktemp("workers")
    with redis_server.server_names() as names:
        server = start_server(temp_databases.postgresql(), folder / "server.log", extra_env=names)
        yield server
        server.stop()


@pytest.fixture
def base_url(workers_server) -> str:
    return workers_server.base_url


def test_dashboard_and_link_page_follow_clicks_stored_by_any_worker(page, context, signed_in, base_url, target_site):
    link = api_link(base_url, signed_in, title="Shared", url=f"{target_site}/landing")
    visitor = context.new_page()
    for clicks in range(4):
        # A reload opens a new websocket, often to another worker than the one whose task keeps
        # the page current; and the click may be stored by a third.
        page.reload()
        expect(page.locator(".link-clicks").first).to_have_text(str(clicks))
        visitor.goto(link["shortened_url"])
        expect(visitor.locator("h1")).to_have_text("Target")
        expect(page.locator(".link-clicks").first).to_have_text(str(clicks + 1), timeout=5_000)

    page.click(".link-title")
    expect(page.locator("#range-clicks")).to_have_text("4")
    visitor.goto(link["shortened_url"])
    expect(page.locator("#range-clicks")).to_have_text("5", timeout=5_000)


def test_a_fast_submit_keeps_its_message(browser, base_url):
    """The page's on_load may reach a worker after a submit the page already sent; it must not
    wipe that submit's message. Several fresh tabs, since the order varies (1 in 4 lost it)."""
    api_user(base_url, "e2e_fast")
    for _ in range(4):
        context = browser.new_context(base_url=base_url)
        try:
            page = context.new_page()
            page.goto("/login")
            page.fill("#username", "e2e_fast")
            page.fill("#password", "Not-The-Password-1")
            page.click("#submit")
            expect(page.locator("#form-error")).to_have_text("Incorrect username or password.")
        finally:
            context.close()
