"""CSV exports and `include_bots`: what a user downloads, and never a raw client address."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from urllib.parse import urlencode

from linkapp.services.clicks.recorder import recorder
from tests.factories import create_link, register, short_path, store_clicks

# What a visitor can put in a short link's query: a line break, then a formula.
FORMULA = "=cmd|' /C calc'!A0"
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"


async def _visit(client, link, ip: str, **headers):
    response = await client.get(short_path(link) + "?utm_source=news&utm_campaign=spring", headers={"X-Forwarded-For": ip, **headers})
    assert response.status_code == 302


async def test_clicks_csv_streams_every_click_with_anonymized_addresses(client, monkeypatch):
    from linkapp.core.config import settings

    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])
    user = await register(client)
    link = await create_link(client, user)
    await _visit(client, link, "203.0.113.77", **{"User-Agent": BROWSER, "Referer": "https://news.example.org/post"})
    await _visit(client, link, "2001:db8:abcd:12:1::5", **{"User-Agent": "curl/8.5.0"})
    await recorder.flush()

    response = await client.get(f"/api/v1/analytics/links/{link['id']}/clicks.csv", headers=user["headers"])

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2
    assert "203.0.113.77" not in response.text and "2001:db8:abcd:12:1::5" not in response.text
    human, bot = sorted(rows, key=lambda row: row["is_bot"])
    assert human["ip_address"] == "203.0.113.0" and bot["ip_address"] == "2001:db8:abcd::"
    assert (human["source"], human["utm_campaign"], human["referrer_host"]) == ("news", "spring", "news.example.org")
    assert human["bot_reason"] == "" and bot["bot_reason"] not in ("", None)
    assert human["clicked_at"].endswith("Z")


async def test_clicks_csv_with_visitor_formula_parses_into_one_neutralized_row_per_click(client):
    user = await register(client)
    link = await create_link(client, user)
    query = urlencode({"utm_source": "\r" + FORMULA, "utm_medium": "\tx", "utm_campaign": "@SUM(1)"})
    assert (await client.get(f"{short_path(link)}?{query}", headers={"User-Agent": BROWSER})).status_code == 302
    await _visit(client, link, "203.0.113.9", **{"User-Agent": BROWSER})
    await recorder.flush()

    response = await client.get(f"/api/v1/analytics/links/{link['id']}/clicks.csv", headers=user["headers"])

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert len(rows) == 3 and {len(row) for row in rows} == {len(rows[0])}
    planted = dict(zip(rows[0], rows[1], strict=True))
    assert (planted["source"], planted["utm_medium"], planted["utm_campaign"]) == ("'" + FORMULA, "x", "'@SUM(1)")
    assert dict(zip(rows[0], rows[2], strict=True))["source"] == "news"
    # Every cell quoted, every row ended by CRLF: no line of the file starts with a formula.
    lines = response.text.split("\r\n")
    assert lines[-1] == "" and all(line.startswith('"') for line in lines[:-1])
    assert "\r=" not in response.text


async def test_clicks_csv_of_another_users_link_is_404(client):
    owner = await register(client)
    other = await register(client)
    link = await create_link(client, owner)
    response = await client.get(f"/api/v1/analytics/links/{link['id']}/clicks.csv", headers=other["headers"])
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_clicks_csv_covers_only_the_range(client):
    user = await register(client)
    link = await create_link(client, user)
    await store_clicks(link, datetime(2026, 2, 1, 12, tzinfo=UTC), datetime(2026, 2, 3, 12, tzinfo=UTC))
    response = await client.get(f"/api/v1/analytics/links/{link['id']}/clicks.csv", params={"start": "2026-02-03", "end": "2026-02-03"}, headers=user["headers"])
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["clicked_at"][:10] for row in rows] == ["2026-02-03"]


async def test_summary_csv_lists_links_with_clicks_in_range(client):
    user = await register(client)
    busy = await create_link(client, user, title="=Busy, quoted")
    quiet = await create_link(client, user, title="Quiet")
    await store_clicks(busy, datetime(2026, 2, 2, 9, tzinfo=UTC), datetime(2026, 2, 2, 10, tzinfo=UTC))
    response = await client.get("/api/v1/analytics/summary.csv", params={"start": "2026-02-01", "end": "2026-02-05"}, headers=user["headers"])
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["id"], row["clicks"]) for row in rows] == [(busy["id"], "2"), (quiet["id"], "0")]
    assert rows[0]["title"] == "'=Busy, quoted"  # a spreadsheet would run a leading = as a formula
    assert rows[0]["shortened_url"] == busy["shortened_url"]


async def test_include_bots_adds_bots_to_figures_and_bots_list_reasons(client):
    user = await register(client)
    link = await create_link(client, user)
    await client.get(short_path(link), headers={"User-Agent": BROWSER})
    await client.get(short_path(link), headers={"User-Agent": "curl/8.5.0"})
    await client.head(short_path(link), headers={"User-Agent": BROWSER})
    await recorder.flush()
    url = f"/api/v1/analytics/links/{link['id']}"

    plain = (await client.get(url, headers=user["headers"])).json()
    with_bots = (await client.get(url, params={"include_bots": "true"}, headers=user["headers"])).json()

    assert plain["total_clicks"] == 1 and with_bots["total_clicks"] == 3
    assert sum(row["clicks"] for row in plain["bots"]) == 2
    assert {row["reason"] for row in plain["bots"]} >= {"head"}
    assert sum(row["clicks"] for row in with_bots["clicks_by_source"]) == 3
    assert plain["unique_visitors"] == with_bots["unique_visitors"] == 1  # bots are never visitors
