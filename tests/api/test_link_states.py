"""A link's status, its fallback URL, and what visitors of a link that leads nowhere get."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from linkapp import redirect as redirect_module
from linkapp.services.clicks import maintenance
from linkapp.services.clicks.recorder import recorder
from linkapp.services.links import service as link_service
from tests.factories import create_link, register, short_path

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
PAGE_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what Chromium sends
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def at(moment: datetime, monkeypatch) -> None:
    """From now on the redirect and the link service both live at `moment`."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return moment

    monkeypatch.setattr(redirect_module, "datetime", Frozen)
    monkeypatch.setattr(link_service, "utcnow", lambda: moment)


async def visit(client, link: dict, *, accept: str | None = None, ua: str = BROWSER, method: str = "GET"):
    headers = {"User-Agent": ua, **({"Accept": accept} if accept else {})}
    return await client.request(method, short_path(link), headers=headers)


async def get_link(client, user: dict, link: dict) -> dict:
    await recorder.flush()
    response = await client.get(f"/api/v1/links/{link['id']}", headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


async def analytics(client, user: dict, link: dict, moment: datetime) -> dict:
    await recorder.flush()
    days = {"start": (moment - timedelta(days=2)).date().isoformat(), "end": (moment + timedelta(days=1)).date().isoformat()}
    response = await client.get(f"/api/v1/analytics/links/{link['id']}", params=days, headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


# --- status --------------------------------------------------------------------------------------


async def test_link_status_is_active_until_expiry_then_expired(client, monkeypatch):
    user = await register(client)
    expires_at = datetime.now(UTC) + timedelta(hours=1)
    link = await create_link(client, user, expires_at=expires_at.isoformat())
    assert (link["status"], link["clicks_used"], link["fallback_url"]) == ("active", None, None)
    at(expires_at, monkeypatch)
    assert (await get_link(client, user, link))["status"] == "expired"
    listed = (await client.get("/api/v1/links", headers=user["headers"])).json()["items"]
    assert [item["status"] for item in listed] == ["expired"]


async def test_link_status_is_limit_reached_once_its_clicks_are_used(client):
    user = await register(client)
    link = await create_link(client, user, max_clicks=2)
    assert (link["status"], link["clicks_used"]) == ("active", 0)
    await visit(client, link)
    # Counted as the redirect counts: before the click is even written.
    assert ((await client.get(f"/api/v1/links/{link['id']}", headers=user["headers"])).json()["clicks_used"]) == 1
    await visit(client, link)
    assert ((await get_link(client, user, link))["status"], (await get_link(client, user, link))["clicks_used"]) == ("limit_reached", 2)
    raised = await client.patch(f"/api/v1/links/{link['id']}", json={"max_clicks": 3}, headers=user["headers"])
    assert (raised.json()["status"], raised.json()["clicks_used"]) == ("active", 2)
    assert (await visit(client, link)).status_code == 302


async def test_link_status_disabled_wins_and_re_enabling_restores_it(client, monkeypatch):
    user = await register(client)
    expires_at = datetime.now(UTC) + timedelta(hours=1)
    link = await create_link(client, user, expires_at=expires_at.isoformat())
    off = await client.patch(f"/api/v1/links/{link['id']}", json={"disabled": True}, headers=user["headers"])
    assert off.json()["status"] == "disabled"
    at(expires_at + timedelta(minutes=1), monkeypatch)
    assert (await get_link(client, user, link))["status"] == "disabled"
    on = await client.patch(f"/api/v1/links/{link['id']}", json={"disabled": False}, headers=user["headers"])
    assert on.json()["status"] == "expired"
    later = (expires_at + timedelta(days=7)).isoformat()
    extended = await client.patch(f"/api/v1/links/{link['id']}", json={"expires_at": later}, headers=user["headers"])
    assert extended.json()["status"] == "active"
    assert (await visit(client, link)).status_code == 302


# --- fallback URL --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fallback", "message"),
    [
        ("javascript:alert(1)", "Only http:// and https://"),
        ("", "Enter the fallback URL"),
        ("http://localhost/x", "local addresses"),
        ("http://testserver/abc", "back to this service"),
        ("https://", "needs a host"),
        ("https://example.com/" + "a" * 2048, "at most 2048"),
        ("https://example.com/\u0000", "control characters"),
    ],
)
async def test_fallback_url_follows_the_rules_of_url(client, fallback, message):
    user = await register(client)
    for response in (
        await client.post("/api/v1/links", json={"url": "https://example.com/", "fallback_url": fallback}, headers=user["headers"]),
        await client.patch(f"/api/v1/links/{(await create_link(client, user))['id']}", json={"fallback_url": fallback}, headers=user["headers"]),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"][-1] == "fallback_url"
        assert message.lower() in response.text.lower()


async def test_fallback_url_is_normalized_and_cleared_with_null(client):
    user = await register(client)
    link = await create_link(client, user, fallback_url="HTTPS://Example.COM:443/Sorry")
    assert link["fallback_url"] == "https://example.com/Sorry"
    kept = await client.patch(f"/api/v1/links/{link['id']}", json={"title": "Renamed"}, headers=user["headers"])
    assert kept.json()["fallback_url"] == "https://example.com/Sorry"
    cleared = await client.patch(f"/api/v1/links/{link['id']}", json={"fallback_url": None}, headers=user["headers"])
    assert cleared.json()["fallback_url"] is None


async def test_expired_link_sends_visitors_to_its_fallback_as_expired_visits(client, monkeypatch):
    user = await register(client)
    expires_at = datetime.now(UTC) + timedelta(minutes=5)
    link = await create_link(client, user, expires_at=expires_at.isoformat(), fallback_url="https://example.com/sorry")
    assert (await visit(client, link)).headers["location"] == "https://example.com/page"
    at(expires_at, monkeypatch)

    answers = [await visit(client, link), await visit(client, link), await visit(client, link, ua=GOOGLEBOT), await visit(client, link, method="HEAD")]

    assert [(answer.status_code, answer.headers["location"]) for answer in answers] == [(302, "https://example.com/sorry")] * 4
    assert all(answer.headers["cache-control"] == "private, no-store" for answer in answers)
    figures = await analytics(client, user, link, expires_at)
    assert (figures["total_clicks"], figures["expired_visits"]) == (1, 2)
    assert sorted(row["reason"] for row in figures["bots"]) == ["crawler", "head"]
    assert (await get_link(client, user, link))["total_clicks"] == 1
    summary = (await client.get("/api/v1/analytics", params={"start": figures["start"], "end": figures["end"]}, headers=user["headers"])).json()
    assert (summary["total_clicks"], summary["expired_visits"]) == (1, 2)


async def test_used_up_link_sends_the_next_visitors_to_its_fallback(client):
    user = await register(client)
    link = await create_link(client, user, max_clicks=2, fallback_url="https://example.com/sold-out")
    locations = [(await visit(client, link)).headers["location"] for _ in range(4)]
    assert locations == ["https://example.com/page"] * 2 + ["https://example.com/sold-out"] * 2
    figures = await analytics(client, user, link, datetime.now(UTC))
    assert (figures["total_clicks"], figures["expired_visits"], figures["bots"]) == (2, 2, [])
    stored = await get_link(client, user, link)
    assert (stored["status"], stored["clicks_used"], stored["total_clicks"]) == ("limit_reached", 2, 2)


async def test_rescoring_bots_and_rebuilding_rollups_keep_visits_after_expiry_apart(client, db):
    user = await register(client)
    link = await create_link(client, user, max_clicks=1, fallback_url="https://example.com/sold-out")
    await visit(client, link)
    await visit(client, link)
    await recorder.flush()
    assert await maintenance.rescore_bots(db) == 0
    await maintenance.rebuild_rollups(db)
    figures = await analytics(client, user, link, datetime.now(UTC))
    assert (figures["total_clicks"], figures["expired_visits"]) == (1, 1)


async def test_fallback_change_reaches_the_redirect_at_once(client):
    user = await register(client)
    link = await create_link(client, user, max_clicks=1)
    await visit(client, link)
    assert (await visit(client, link)).status_code == 410
    await client.patch(f"/api/v1/links/{link['id']}", json={"fallback_url": "https://example.com/next"}, headers=user["headers"])
    assert (await visit(client, link)).headers["location"] == "https://example.com/next"


# --- visitor pages -------------------------------------------------------------------------------


def style_hash(html: str) -> str:
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"


def assert_branded_page(response, status: int, heading: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<h1 id="visitor-heading">{heading}</h1>' in response.text
    assert "prefers-color-scheme:dark" in response.text and "<script" not in response.text
    policy = response.headers["content-security-policy"]
    assert f"style-src {style_hash(response.text)};" in policy and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["vary"] == "Accept"


async def test_visitor_pages_are_html_for_browsers_and_text_for_scripts(client, monkeypatch):
    user = await register(client)
    expires_at = datetime.now(UTC) + timedelta(minutes=5)
    expiring = await create_link(client, user, expires_at=expires_at.isoformat())
    limited = await create_link(client, user, max_clicks=1)
    await visit(client, limited)
    unknown = {"shortened_url": "http://testserver/no-such-code"}
    at(expires_at, monkeypatch)

    assert_branded_page(await visit(client, unknown, accept=PAGE_ACCEPT), 404, "Nothing here")
    assert_branded_page(await visit(client, expiring, accept=PAGE_ACCEPT), 410, "This link has expired")
    assert_branded_page(await visit(client, limited, accept=PAGE_ACCEPT), 410, "This link has reached its limit")
    for link, status, text in (
        (unknown, 404, "Not found: there is no short link at this address.\n"),
        (expiring, 410, "Gone: this short link has expired.\n"),
        (limited, 410, "Gone: this short link has reached its click limit.\n"),
    ):
        for accept in (None, "*/*", "application/json", "text/html;q=0, text/plain"):
            response = await visit(client, link, accept=accept)
            assert (response.status_code, response.headers["content-type"], response.text) == (status, "text/plain; charset=utf-8", text)
            assert response.headers["cache-control"] == "private, no-store"


async def test_visitor_pages_answer_head_with_headers_only(client):
    response = await client.head("/no-such-code", headers={"Accept": PAGE_ACCEPT})
    assert response.status_code == 404
    assert response.content == b""
    assert int(response.headers["content-length"]) > 500


async def test_deleted_link_gets_the_404_page_not_the_apps_answer(client):
    user = await register(client)
    link = await create_link(client, user)
    await client.delete(f"/api/v1/links/{link['id']}", headers=user["headers"])
    response = await visit(client, link, accept=PAGE_ACCEPT)
    assert_branded_page(response, 404, "Nothing here")
