"""Tags and sorting in the browser: narrow the dashboard to a tag, rename and remove a tag on
every link, sort the list by clicks."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER_UA, SCREENSHOTS, api_link


def _visit(link: dict, times: int, network: int) -> None:
    """`times` people follow the short link (each their own address, so each is a visitor)."""
    for number in range(times):
        response = httpx.get(link["shortened_url"], headers={"User-Agent": BROWSER_UA, "X-Forwarded-For": f"23.0.{network}.{number + 1}"})
        assert response.status_code == 302


def _titles(page) -> list[str]:
    return page.locator(".link-row .link-title").all_inner_texts()


def test_filter_by_tag_from_a_badge_or_the_picker_and_clear_it(page, signed_in, base_url):
    flyer = api_link(base_url, signed_in, title="Flyer", url="https://example.com/flyer", tags=["spring"])
    api_link(base_url, signed_in, title="Post", url="https://example.com/post", tags=["spring", "social"])
    leaves = api_link(base_url, signed_in, title="Leaves", url="https://example.com/leaves", tags=["autumn"])
    _visit(flyer, 2, network=1)
    _visit(leaves, 3, network=2)
    page.reload()
    expect(page.locator(".link-row")).to_have_count(3)
    expect(page.locator("#clicks-30d")).to_have_text("5")

    page.locator(".link-row", has_text="Post").locator(".tag-filter", has_text="spring").click()

    expect(page.locator(".link-row")).to_have_count(2)
    assert sorted(_titles(page)) == ["Flyer", "Post"]
    expect(page.locator("#tag-filter")).to_contain_text("spring")
    expect(page.locator("#chart-title")).to_contain_text("tagged “spring”")
    expect(page.locator("#clicks-30d")).to_have_text("2")
    expect(page.locator("#tag-picker")).to_contain_text("spring")
    page.wait_for_selector("#dashboard-chart .main-svg")
    page.screenshot(path=str(SCREENSHOTS / "tags-dashboard-filtered-1280.png"), full_page=True)
    # On a phone, opened at the tag's address (where a link page's badge leads).
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/?tag=spring")
    expect(page.locator("#tag-filter")).to_contain_text("spring")
    expect(page.locator(".link-row")).to_have_count(2)
    page.wait_for_selector("#dashboard-chart .main-svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "dashboard wider than a phone"
    page.screenshot(path=str(SCREENSHOTS / "tags-dashboard-filtered-375.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.click("#clear-tag")
    expect(page.locator(".link-row")).to_have_count(3)
    expect(page.locator("#clicks-30d")).to_have_text("5")

    page.click("#tag-picker")
    page.get_by_role("option", name="autumn").click()
    expect(page.locator(".link-row")).to_have_count(1)
    expect(page.locator("#clicks-30d")).to_have_text("3")

    # A link page's badge leads back to the dashboard narrowed to that tag.
    page.goto(f"/links/{flyer['id']}")
    expect(page.locator("#link-tags .link-tag")).to_have_text(["spring"])
    page.screenshot(path=str(SCREENSHOTS / "tags-link-page-1280.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 360})
    page.locator("#link-tags .link-tag", has_text="spring").click()
    expect(page.locator("#tag-filter")).to_contain_text("spring")
    expect(page.locator(".link-row")).to_have_count(2)


def test_rename_a_tag_everywhere_then_remove_it(page, signed_in, base_url):
    api_link(base_url, signed_in, title="One", url="https://example.com/1", tags=["promo"])
    api_link(base_url, signed_in, title="Two", url="https://example.com/2", tags=["promo", "sale"])
    api_link(base_url, signed_in, title="Three", url="https://example.com/3", tags=["sale"])
    page.reload()
    expect(page.locator(".tag-filter", has_text="promo")).to_have_count(2)

    page.click("#manage-tags")
    dialog = page.locator("#tags-dialog")
    expect(dialog.locator(".tag-row")).to_have_count(2)
    expect(dialog.locator('.tag-row[data-tag="promo"]')).to_contain_text("2 links")
    dialog.locator('.tag-row[data-tag="promo"] .rename-tag').click()
    page.fill("#tag-name", "promo/2026")
    page.click("#save-tag")
    expect(page.locator("#tag-name-error")).to_contain_text("letters, digits, spaces")
    page.fill("#tag-name", "Sale")
    page.click("#save-tag")

    expect(page.get_by_text("“promo” is now “sale” on 2 links")).to_be_visible()
    expect(dialog.locator(".tag-row")).to_have_count(1)
    expect(dialog.locator('.tag-row[data-tag="sale"]')).to_contain_text("3 links")
    dialog.screenshot(path=str(SCREENSHOTS / "tags-manage-dialog.png"))
    expect(page.locator(".link-row .tag-filter", has_text="promo")).to_have_count(0)
    expect(page.locator(".link-row .tag-filter", has_text="sale")).to_have_count(3)
    assert httpx.get(f"{base_url}/api/v1/tags", headers=signed_in["headers"]).json() == [{"tag": "sale", "links": 3}]

    dialog.locator('.tag-row[data-tag="sale"] .remove-tag').click()
    expect(dialog).to_contain_text("Remove “sale” from 3 links? The links stay.")
    page.click("#confirm-remove-tag")
    expect(page.get_by_text("Removed “sale” from 3 links; the links stay")).to_be_visible()
    expect(page.locator("#no-tags")).to_be_visible()
    page.click("#close-tags")
    expect(page.locator(".link-row")).to_have_count(3)
    expect(page.locator(".link-row .tag-filter")).to_have_count(0)
    expect(page.locator("#manage-tags")).to_have_count(0)  # no tags left: no picker


def test_sort_by_clicks_and_back(page, signed_in, base_url):
    few = api_link(base_url, signed_in, title="Few", url="https://example.com/few")
    many = api_link(base_url, signed_in, title="Many", url="https://example.com/many")
    api_link(base_url, signed_in, title="None yet", url="https://example.com/none")
    _visit(few, 1, network=3)
    _visit(many, 3, network=4)
    page.reload()
    expect(page.locator("#clicks-30d")).to_have_text("4")
    assert _titles(page) == ["None yet", "Many", "Few"]  # newest first
    header = page.locator("th", has=page.locator("#sort-clicks"))
    expect(header).to_have_attribute("aria-sort", "none")
    expect(page.locator("th", has=page.locator("#sort-created"))).to_have_attribute("aria-sort", "descending")

    page.click("#sort-clicks")

    expect(page.locator(".link-row .link-title").first).to_have_text("Many")
    assert _titles(page) == ["Many", "Few", "None yet"]
    assert page.locator(".link-row .link-clicks").all_inner_texts() == ["3", "1", "0"]
    expect(header).to_have_attribute("aria-sort", "descending")
    page.screenshot(path=str(SCREENSHOTS / "tags-sorted-by-clicks-1280.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 900})

    page.click("#sort-clicks")
    expect(page.locator(".link-row .link-title").first).to_have_text("None yet")
    assert _titles(page) == ["None yet", "Few", "Many"]
    expect(header).to_have_attribute("aria-sort", "ascending")

    page.click("#sort-title")
    expect(page.locator(".link-row .link-title").first).to_have_text("Few")
    assert _titles(page) == ["Few", "Many", "None yet"]
