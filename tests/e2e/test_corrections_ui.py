"""Corrections from the trial, in the browser: clicks per day as bars with today labelled, quick
insights that follow new clicks, no dashboard shown to a signed-out visitor of `/`, the edit form
showing an automatic code as such, and a URL typed without https://."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import BROWSER_UA, SCREENSHOTS, api_link

# Elements only the dashboard has: none may reach a signed-out visitor's page.
DASHBOARD_IDS = ("clicks-today", "dashboard-chart", "links-table", "empty-state", "insights-panel", "new-link")
# Every element with an id the page ever had, reported as it is added (the page is gone after the redirect).
WATCH_IDS = """
(() => {
  const report = (node) => {
    if (node.nodeType !== 1) return;
    if (node.id) window.reportSeen(node.id);
    node.querySelectorAll('[id]').forEach((inner) => window.reportSeen(inner.id));
  };
  new MutationObserver((changes) => changes.forEach((change) => change.addedNodes.forEach(report)))
    .observe(document, {childList: true, subtree: true});
})();
"""


def _insert_clicks(database_url: str, link_id: int, *moments: datetime) -> None:
    """Clicks in the past, written straight into the server's database and counted into the
    rollups by the maintenance command."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for when in moments:
            conn.execute(
                text("INSERT INTO link_events (link_id, clicked_at, ip_address, is_bot) VALUES (:id, :at, '23.0.1.0', false)"),
                {"id": link_id, "at": when.replace(tzinfo=None)},
            )
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run([str(Path(sys.executable).parent / "linkapp"), "rebuild-rollups"], env=env, capture_output=True, check=True)


def _trace(page, chart_id: str) -> dict:
    return page.evaluate(
        f"""() => {{
            const plot = document.getElementById('{chart_id}');
            const trace = plot && plot.data && plot.data[0];
            return trace ? {{type: trace.type, x: trace.x.map(String), y: Array.from(trace.y)}} : null;
        }}"""
    )


def test_clicks_per_day_are_bars_with_today_labelled(page, signed_in, base_url, prod_server):
    from linkapp.core import ids

    link = api_link(base_url, signed_in, title="Bars")
    now = datetime.now(UTC)
    # Clicks two and five days ago (stored, then counted by the maintenance command), and three today.
    _insert_clicks(prod_server.database_url, ids.decode_link_id(link["id"]), now - timedelta(days=2), now - timedelta(days=5), now - timedelta(days=5))
    for _ in range(3):
        assert httpx.get(link["shortened_url"], headers={"User-Agent": BROWSER_UA}).status_code == 302
    page.reload()
    chart = page.locator("#dashboard-chart")
    expect(chart.locator(".annotation-text")).to_have_text("Today", timeout=10_000)
    page.wait_for_function("() => { const d = document.getElementById('dashboard-chart').data; return d && d[0].y[d[0].y.length - 1] === 3; }")
    trace = _trace(page, "dashboard-chart")
    assert trace["type"] == "bar" and len(trace["x"]) == 30
    assert [clicks for clicks in trace["y"] if clicks] == [2, 1, 3]  # days without clicks stay at zero: nothing drawn between
    expect(chart.locator(".bars .point")).to_have_count(30)
    chart.screenshot(path=str(SCREENSHOTS / "dashboard-bars-today.png"))

    page.goto(f"/links/{link['id']}")
    detail = page.locator("#clicks-chart")
    expect(detail.locator(".annotation-text")).to_have_text("Today", timeout=10_000)
    trace = _trace(page, "clicks-chart")
    assert trace["type"] == "bar" and trace["y"][-1] == 3
    detail.screenshot(path=str(SCREENSHOTS / "link-page-bars-today.png"))
    page.click("#color-mode")
    detail.screenshot(path=str(SCREENSHOTS / "link-page-bars-today-dark.png"))


def test_quick_insights_follow_a_new_click_without_reloading(page, context, signed_in, base_url, target_site):
    link = api_link(base_url, signed_in, title="Live insights", url=f"{target_site}/landing")
    page.reload()
    expect(page.locator("#quick-insights")).to_contain_text("0 clicks from 0 unique visitors")
    visitor = context.new_page()
    visitor.goto(link["shortened_url"])
    expect(visitor.locator("h1")).to_have_text("Target")

    expect(page.locator("#quick-insights")).to_contain_text("1 click from 1 unique visitor", timeout=5_000)

    page.locator(".link-title").first.click()
    expect(page.locator("#quick-insights")).to_contain_text("in the last 30 days")
    page.locator("#range-picker").get_by_role("radio", name="7 days").click()
    expect(page.locator("#range-clicks")).to_have_text("1")
    expect(page.locator("#quick-insights")).to_contain_text("1 click from 1 unique visitor in the last 7 days")
    page.locator("#insights-panel").screenshot(path=str(SCREENSHOTS / "quick-insights-7-days.png"))


def test_signed_out_visitor_of_root_goes_to_sign_in_without_seeing_the_dashboard(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900}, user_agent=BROWSER_UA)
    try:
        seen: set[str] = set()
        context.expose_function("reportSeen", lambda element_id: seen.add(element_id))
        context.add_init_script(WATCH_IDS)
        page = context.new_page()
        page.goto("/")
        page.wait_for_url("**/login**")
        expect(page.locator("#username")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "signed-out-root-to-login.png"))
    finally:
        context.close()

    assert not seen & set(DASHBOARD_IDS), f"a signed-out visitor saw the dashboard: {sorted(seen & set(DASHBOARD_IDS))}"
    assert "checking-session" in seen, f"the observer saw nothing of `/`: {sorted(seen)}"  # it did watch `/`


def test_edit_form_shows_the_automatic_code_and_offers_a_custom_one(page, signed_in, base_url):
    link = api_link(base_url, signed_in, title="Automatic code")
    page.reload()
    page.locator(".edit-link").first.click()
    dialog = page.locator("#link-dialog")
    expect(dialog.locator("#link-slug-automatic")).to_have_text(f"Automatic: {link['id']}")
    expect(dialog.locator("#link-slug")).to_have_count(0)
    dialog.screenshot(path=str(SCREENSHOTS / "edit-form-automatic-code.png"))

    dialog.locator("#link-slug-customize").click()
    expect(dialog.locator("#link-slug")).to_have_value("")
    dialog.locator("#link-slug").fill("my-own-code")
    dialog.locator("#save-link").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".short-url").first).to_contain_text("/my-own-code")

    page.locator(".edit-link").first.click()
    expect(dialog.locator("#link-slug")).to_have_value("my-own-code")
    expect(dialog.locator("#link-slug-automatic-use")).to_contain_text(link["id"])
    dialog.screenshot(path=str(SCREENSHOTS / "edit-form-custom-code.png"))


def test_new_link_typed_without_https_is_created_with_it(page, signed_in):
    page.click("#empty-new-link")
    page.fill("#link-url", "example.com/typed")
    page.click("#save-link")
    expect(page.locator("#link-dialog")).to_be_hidden()
    page.locator(".link-title").first.click()
    expect(page.locator("#link-target")).to_have_text("https://example.com/typed")
