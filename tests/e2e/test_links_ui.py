"""Create, edit, copy and delete links from the dashboard; search and paging."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import api_link


def test_create_link_appears_in_table_with_short_url(page, signed_in, base_url):
    page.click("#empty-new-link")
    page.fill("#link-url", "HTTPS://Example.com:443/spring?ref=1")
    page.fill("#link-title", "Spring sale")
    page.fill("#link-slug", "spring-e2e")
    page.click("#save-link")
    row = page.locator(".link-row").first
    expect(row.locator(".link-title")).to_have_text("Spring sale")
    expect(row.locator(".short-url")).to_have_text(base_url.split("://")[1] + "/spring-e2e")
    response = httpx.get(f"{base_url}/spring-e2e", headers={"User-Agent": "Mozilla/5.0 Firefox/133.0"})
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/spring?ref=1"


def test_create_link_errors_show_at_the_field(page, signed_in, base_url):
    api_link(base_url, signed_in, slug="taken-e2e")
    page.reload()
    page.click("#new-link")
    page.fill("#link-url", "javascript:alert(1)")
    page.click("#save-link")
    expect(page.locator("#url-error")).to_contain_text("http")
    page.fill("#link-url", "https://example.com/ok")
    page.fill("#link-slug", "TAKEN-E2E")
    page.click("#save-link")
    expect(page.locator("#slug-error")).to_contain_text("taken")
    page.fill("#link-slug", "login")
    page.click("#save-link")
    expect(page.locator("#slug-error")).to_contain_text("uses itself")
    expect(page.locator("#link-dialog")).to_be_visible()


def test_edit_link_changes_title_and_target(page, signed_in, base_url):
    link = api_link(base_url, signed_in, title="Before")
    page.reload()
    page.locator(".edit-link").first.click()
    expect(page.locator("#link-url")).to_have_value("https://example.com/page")
    page.fill("#link-title", "After")
    page.fill("#link-url", "https://example.org/new")
    page.click("#save-link")
    expect(page.locator(".link-title").first).to_have_text("After")
    code = link["shortened_url"].rsplit("/", 1)[1]
    assert httpx.get(f"{base_url}/{code}", headers={"User-Agent": "Mozilla/5.0 Firefox/133.0"}).headers["location"] == "https://example.org/new"


def test_copy_button_puts_short_url_on_clipboard(page, signed_in, base_url):
    link = api_link(base_url, signed_in)
    page.reload()
    page.locator(".copy-link:visible").first.click()
    expect(page.get_by_text("Short URL copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link["shortened_url"]


def test_delete_link_asks_first_then_short_url_is_gone(page, signed_in, base_url):
    link = api_link(base_url, signed_in, title="Doomed")
    page.reload()
    page.locator(".delete-link").first.click()
    expect(page.locator("#delete-dialog")).to_contain_text("Doomed")
    page.click("#cancel-delete")
    expect(page.locator(".link-row")).to_have_count(1)
    page.locator(".delete-link").first.click()
    page.click("#confirm-delete")
    expect(page.locator("#empty-state")).to_be_visible()
    code = link["shortened_url"].rsplit("/", 1)[1]
    assert httpx.get(f"{base_url}/{code}").status_code == 404


def test_search_and_paging(page, signed_in, base_url):
    for number in range(12):
        api_link(base_url, signed_in, title=f"Item {number:02d}", url=f"https://example.com/{number}")
    api_link(base_url, signed_in, title="Needle", url="https://example.org/needle")
    page.reload()
    expect(page.locator(".link-row")).to_have_count(10)
    expect(page.locator("#page-label")).to_have_text("1–10 of 13")
    expect(page.locator(".link-title").first).to_have_text("Needle")  # newest first
    page.click("#next-page")
    expect(page.locator(".link-row")).to_have_count(3)
    page.fill("#search", "needle")
    expect(page.locator(".link-row")).to_have_count(1)
    page.fill("#search", "nothing-matches-this")
    expect(page.locator("#no-results")).to_be_visible()
