"""Bursts from one visitor are stored as bots ("burst"), so a click-farm script cannot inflate
figures by hammering a link from one address."""

from __future__ import annotations

from linkapp.core.config import settings
from linkapp.services.clicks.recorder import recorder
from tests.factories import create_link, register, short_path

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


async def test_burst_from_one_visitor_counts_only_until_the_limit(client):
    user = await register(client)
    link = await create_link(client, user)
    for _ in range(30):
        assert (await client.get(short_path(link), headers={"User-Agent": BROWSER})).status_code == 302
    await recorder.flush()

    body = (await client.get(f"/api/v1/analytics/links/{link['id']}", headers=user["headers"])).json()

    assert body["total_clicks"] == 20
    assert {row["reason"]: row["clicks"] for row in body["bots"]} == {"burst": 10}


async def test_many_visitors_at_once_are_not_a_burst(client, monkeypatch):
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])
    user = await register(client)
    link = await create_link(client, user)
    for n in range(30):
        headers = {"User-Agent": BROWSER, "X-Forwarded-For": f"198.51.100.{n + 1}"}
        assert (await client.get(short_path(link), headers=headers)).status_code == 302
    await recorder.flush()

    body = (await client.get(f"/api/v1/analytics/links/{link['id']}", headers=user["headers"])).json()

    assert (body["total_clicks"], body["unique_visitors"], body["bots"]) == (30, 30, [])
