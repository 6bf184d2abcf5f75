"""Sources in the analytics: a click's utm_source, else the site that sent it by name, else "direct"."""

from __future__ import annotations

from linkapp.services.clicks.recorder import recorder
from tests.factories import create_link, register, short_path

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
VISITS = [
    # (query, Referer)
    ("", "https://t.co/AbC123"),
    ("", "https://twitter.com/someone/status/1"),
    ("", "https://www.google.com/"),
    ("", "https://www.google.co.uk/"),
    ("", "https://mastodon.social/@someone/1"),
    ("", None),
    ("?utm_source=newsletter", "https://www.google.com/"),
    ("?utm_source=qr", None),
]


async def _visit(client, link: dict) -> None:
    for query, referrer in VISITS:
        headers = {"User-Agent": BROWSER}
        if referrer:
            headers["Referer"] = referrer
        response = await client.get(short_path(link) + query, headers=headers)
        assert response.status_code == 302
    await recorder.flush()


async def test_clicks_by_source_names_the_referring_site_when_no_utm_source(client):
    owner = await register(client)
    link = await create_link(client, owner)
    await _visit(client, link)

    response = await client.get(f"/api/v1/analytics/links/{link['id']}", headers=owner["headers"])

    assert response.status_code == 200
    body = response.json()
    by_source = {row["source"]: row["clicks"] for row in body["clicks_by_source"]}
    assert by_source == {"X/Twitter": 2, "Google": 2, "mastodon.social": 1, "direct": 1, "newsletter": 1, "qr": 1}
    # The referrer breakdown still tells the hosts apart.
    by_referrer = {row["referrer"]: row["clicks"] for row in body["clicks_by_referrer"]}
    assert by_referrer["t.co"] == 1 and by_referrer["twitter.com"] == 1 and by_referrer["google.com"] == 2


async def test_all_links_summary_counts_sources_by_site_name(client):
    owner = await register(client)
    await _visit(client, await create_link(client, owner))
    await _visit(client, await create_link(client, owner, url="https://example.com/other"))

    response = await client.get("/api/v1/analytics", headers=owner["headers"])

    by_source = {row["source"]: row["clicks"] for row in response.json()["clicks_by_source"]}
    assert by_source["X/Twitter"] == 4 and by_source["Google"] == 4 and by_source["qr"] == 2 and by_source["direct"] == 2


async def test_api_still_refuses_a_url_without_scheme(client):
    owner = await register(client)

    response = await client.post("/api/v1/links", json={"url": "example.com/x"}, headers=owner["headers"])

    assert response.status_code == 422
