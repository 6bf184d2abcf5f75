"""Live counts after a click in another tab; the range and time zone decide the chart."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import api_link


def _chart_points(page) -> list[dict]:
    return page.evaluate(
        """() => {
            const plot = document.getElementById('clicks-chart');
            const trace = plot && plot.data && plot.data[0];
            return trace ? trace.x.map((x, i) => ({day: String(x).slice(0, 10), clicks: trace.y[i]})) : [];
        }"""
    )


def test_click_in_another_tab_updates_dashboard_and_chart_live(page, context, signed_in, base_url, target_site):
    link = api_link(base_url, signed_in, title="Live one", url=f"{target_site}/landing")
    page.reload()
    expect(page.locator(".link-clicks").first).to_have_text("0")
    visitor = context.new_page()
    visitor.goto(link["shortened_url"])  # the browser follows the 302 to the (offline-served) target
    expect(visitor.locator("h1")).to_have_text("Target")
    expect(page.locator(".link-clicks").first).to_have_text("1", timeout=5_000)
    expect(page.locator("#clicks-today")).to_have_text("1")

    page.click(".link-title")
    expect(page.locator("#range-clicks")).to_have_text("1")
    visitor.goto(link["shortened_url"])
    expect(page.locator("#range-clicks")).to_have_text("2", timeout=5_000)
    today = datetime.now(UTC).date().isoformat()
    page.wait_for_function(f"() => (document.getElementById('clicks-chart').data || [{{x: []}}])[0].x.some((x, i) => String(x).startsWith('{today}') && document.getElementById('clicks-chart').data[0].y[i] === 2)")


def _insert_clicks(database_url: str, link_id: int, *moments: datetime) -> None:
    """Clicks in the past, written straight into the server's database, then counted into the
    rollups by the maintenance command (as after restoring old data)."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for when in moments:
            conn.execute(
                text("INSERT INTO link_events (link_id, clicked_at, source, ip_address, is_bot) VALUES (:id, :at, 'e2e', '23.0.1.0', false)"),
                {"id": link_id, "at": when.replace(tzinfo=None)},
            )
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run([str(Path(sys.executable).parent / "linkapp"), "rebuild-rollups"], env=env, capture_output=True, text=True, check=True)
    assert "Rebuilt the rollups from" in done.stderr, done.stderr


def test_range_and_time_zone_change_the_chart(page, signed_in, base_url, prod_server):
    from linkapp.core import ids

    link = api_link(base_url, signed_in, title="Zones")
    # Hashids are salted with the server's HASHID_SALT, which the tests share through the env.
    link_id = ids.decode_link_id(link["id"])
    now = datetime.now(UTC)
    late = (now - timedelta(days=2)).replace(hour=23, minute=30, second=0, microsecond=0)
    _insert_clicks(prod_server.database_url, link_id, late, now - timedelta(days=40))

    page.goto(f"/links/{link['id']}")
    page.click("#tz-select")
    page.get_by_role("option", name="UTC", exact=True).click()
    expect(page.locator("#range-label")).to_contain_text("UTC")
    expect(page.locator("#range-clicks")).to_have_text("1")  # 30 days: the 40-day-old click is out
    points = _chart_points(page)
    assert len(points) == 30
    assert {"day": late.date().isoformat(), "clicks": 1} in points

    page.click("#tz-select")
    page.get_by_role("option", name="Asia/Tokyo").click()
    expect(page.locator("#range-label")).to_contain_text("Asia/Tokyo")
    next_day = (late + timedelta(days=1)).date().isoformat()
    page.wait_for_function(f"() => (document.getElementById('clicks-chart').data || [{{x: []}}])[0].x.some((x, i) => String(x).startsWith('{next_day}') && document.getElementById('clicks-chart').data[0].y[i] === 1)")

    page.get_by_role("radio", name="90 days").click()
    expect(page.locator("#range-clicks")).to_have_text("2")
    assert len(_chart_points(page)) == 90

    page.get_by_role("radio", name="7 days").click()
    expect(page.locator("#range-clicks")).to_have_text("1")
    assert len(_chart_points(page)) == 7
