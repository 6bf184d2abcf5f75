"""GET/HEAD /{code}: the tracked redirect, its statuses, limits and click recording."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from linkapp import db as database
from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.models.event import LinkEvent
from linkapp.services.clicks.recorder import recorder
from linkapp.services.links import redirects
from tests.factories import create_link, register, short_path

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
BOTS = [
    {"User-Agent": "curl/8.5.0"},
    {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
    {"User-Agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"},
    {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36"},
    {"User-Agent": "python-requests/2.31.0"},
    {"User-Agent": BROWSER, "Sec-Purpose": "prefetch"},
    {"User-Agent": BROWSER, "Purpose": "prefetch"},
    {"User-Agent": BROWSER, "X-Purpose": "preview"},
    {"User-Agent": BROWSER, "X-Moz": "prefetch"},
]


async def visit(client, link_or_path, *, method: str = "GET", headers: dict | None = None, query: str = ""):
    path = link_or_path if isinstance(link_or_path, str) else short_path(link_or_path)
    return await client.request(method, path + (f"?{query}" if query else ""), headers=headers if headers is not None else {"User-Agent": BROWSER})


async def stored_events(link: dict) -> list[LinkEvent]:
    await recorder.flush()
    async with database.session() as db:
        rows = await db.execute(select(LinkEvent).where(LinkEvent.link_id == ids.decode_link_id(link["id"])))
        return list(rows.scalars())


async def counted_clicks(client, user, link: dict) -> int:
    await recorder.flush()
    return (await client.get(f"/api/v1/links/{link['id']}", headers=user["headers"])).json()["total_clicks"]


async def test_redirect_get_is_302_with_location_and_no_store(client):
    user = await register(client)
    link = await create_link(client, user, url="https://example.com/landing?x=1#top")
    response = await visit(client, link)
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/landing?x=1#top"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["ratelimit-limit"] == str(100000)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirect_uses_link_redirect_status_and_is_never_cached(client, status):
    user = await register(client)
    link = await create_link(client, user, redirect_status=status)
    for method in ("GET", "HEAD"):
        response = await visit(client, link, method=method)
        assert response.status_code == status
        assert response.headers["location"] == "https://example.com/page"
        # A browser that cached a permanent redirect would skip the next visits, uncounted.
        assert response.headers["cache-control"] == "private, no-store"
    assert [(await visit(client, link)).status_code for _ in range(3)] == [status] * 3
    assert await counted_clicks(client, user, link) == 4


async def test_redirect_without_link_status_uses_setting(client, monkeypatch):
    monkeypatch.setattr(settings, "REDIRECT_STATUS_CODE", 301)
    user = await register(client)
    plain = await create_link(client, user)
    own = await create_link(client, user, url="https://example.com/own", redirect_status=307)
    assert plain["redirect_status"] == 301
    assert (await visit(client, plain)).status_code == 301
    assert (await visit(client, plain)).headers["cache-control"] == "private, no-store"
    assert (await visit(client, own)).status_code == 307


async def test_redirect_head_answers_like_get_but_is_stored_as_bot(client):
    user = await register(client)
    link = await create_link(client, user)
    response = await visit(client, link, method="HEAD")
    assert (response.status_code, response.headers["location"]) == (302, "https://example.com/page")
    assert response.content == b""
    events = await stored_events(link)
    assert [event.is_bot for event in events] == [True]
    assert await counted_clicks(client, user, link) == 0


async def test_redirect_to_non_ascii_url_sends_ascii_location(client):
    user = await register(client)
    link = await create_link(client, user, url="https://b\u00fccher.de/wiki/Caf\u00e9?q=\u00fc")
    response = await visit(client, link)
    assert dict(response.headers.raw)[b"location"] == b"https://xn--bcher-kva.de/wiki/Caf%C3%A9?q=%C3%BC"
    assert link["url"] == "https://b\u00fccher.de/wiki/Caf\u00e9?q=\u00fc"


async def test_redirect_finds_slug_in_any_case_but_public_id_only_exactly(client):
    user = await register(client)
    link = await create_link(client, user, slug="Spring-Sale")
    for path in ("/Spring-Sale", "/spring-sale", "/SPRING-SALE", f"/{link['id']}"):
        assert (await visit(client, path)).headers["location"] == "https://example.com/page"
    for path in (f"/{link['id'].upper()}", f"/{link['id']}x"):
        assert (await visit(client, path)).status_code == 404
    assert await counted_clicks(client, user, link) == 4


async def test_redirect_for_unknown_deleted_or_disabled_link_is_404(client):
    user = await register(client)
    deleted, disabled = await create_link(client, user), await create_link(client, user, slug="off-soon")
    for link in (deleted, disabled):
        assert (await visit(client, link)).status_code == 302
    await client.delete(f"/api/v1/links/{deleted['id']}", headers=user["headers"])
    await client.patch(f"/api/v1/links/{disabled['id']}", json={"disabled": True}, headers=user["headers"])
    for path in ("/no-such-code", short_path(deleted), short_path(disabled)):
        for method in ("GET", "HEAD"):
            response = await visit(client, path, method=method)
            assert response.status_code == 404
            assert "location" not in response.headers


def _clock_at(monkeypatch, moment: datetime) -> None:
    """The redirect decides as if it were `moment`: the clock it hands `redirects.visit` is moved."""
    real_visit = redirects.visit

    async def visit_at(code, *, now, counted):
        return await real_visit(code, now=moment, counted=counted)

    monkeypatch.setattr(redirects, "visit", visit_at)


async def test_redirect_after_expiry_is_410(client, monkeypatch):
    user = await register(client)
    expires_at = datetime.now(UTC) + timedelta(hours=1)
    link = await create_link(client, user, expires_at=expires_at.isoformat())
    assert (await visit(client, link)).status_code == 302
    _clock_at(monkeypatch, expires_at)
    for method in ("GET", "HEAD"):
        response = await visit(client, link, method=method)
        assert response.status_code == 410
        assert "location" not in response.headers
    assert await counted_clicks(client, user, link) == 1


async def test_visit_is_gone_from_the_moment_of_expiry(client):
    user = await register(client)
    expires_at = datetime.now(UTC) + timedelta(hours=1)
    code = short_path(await create_link(client, user, expires_at=expires_at.isoformat()))[1:]
    before, _ = await redirects.visit(code, now=expires_at - timedelta(seconds=1), counted=False)
    at, _ = await redirects.visit(code, now=expires_at, counted=False)
    assert (before, at) == (redirects.Outcome.REDIRECT, redirects.Outcome.GONE)


async def test_redirect_with_max_clicks_redirects_n_times_then_410(client):
    user = await register(client)
    link = await create_link(client, user, max_clicks=3)
    statuses = [(await visit(client, link)).status_code for _ in range(5)]
    assert statuses == [302, 302, 302, 410, 410]
    assert (await visit(client, link, method="HEAD")).status_code == 410
    assert await counted_clicks(client, user, link) == 3


async def test_redirect_bots_and_head_do_not_use_up_max_clicks(client):
    user = await register(client)
    link = await create_link(client, user, max_clicks=2)
    for headers in BOTS:
        assert (await visit(client, link, headers=headers)).status_code == 302
    assert (await visit(client, link, method="HEAD")).status_code == 302
    assert [(await visit(client, link)).status_code for _ in range(3)] == [302, 302, 410]
    assert (await visit(client, link, headers=BOTS[0])).status_code == 410


async def test_redirect_concurrent_gets_honour_max_clicks_exactly(client):
    user = await register(client)
    link = await create_link(client, user, max_clicks=7)
    bot_requests = [visit(client, link, headers=BOTS[n % len(BOTS)]) for n in range(20)]
    responses = await asyncio.gather(*[visit(client, link) for _ in range(50)], *bot_requests)
    human_statuses = [response.status_code for response in responses[:50]]
    assert human_statuses.count(302) == 7
    assert human_statuses.count(410) == 43
    assert await counted_clicks(client, user, link) == 7


async def test_redirect_max_clicks_survives_restart(client):
    user = await register(client)
    link = await create_link(client, user, max_clicks=3)
    assert [(await visit(client, link)).status_code for _ in range(2)] == [302, 302]
    await recorder.flush()
    redirects.cache.clear()
    redirects.allowance.clear()  # a fresh process knows only what the database holds
    assert [(await visit(client, link)).status_code for _ in range(2)] == [302, 410]


async def test_redirect_max_clicks_set_later_counts_unwritten_clicks(client, monkeypatch):
    user = await register(client)
    link = await create_link(client, user)
    monkeypatch.setattr(settings, "CLICK_FLUSH_INTERVAL", 0.5)  # clicks still queued when the limit is set
    assert [(await visit(client, link)).status_code for _ in range(3)] == [302, 302, 302]
    await client.patch(f"/api/v1/links/{link['id']}", json={"max_clicks": 4}, headers=user["headers"])
    assert [(await visit(client, link)).status_code for _ in range(2)] == [302, 410]
    assert await counted_clicks(client, user, link) == 4


async def test_redirect_records_clicks_whose_query_holds_nul_bytes(client):
    user = await register(client)
    link = await create_link(client, user)
    assert (await visit(client, link, query="utm_source=news%00letter&utm_campaign=%00")).status_code == 302
    assert (await visit(client, link, query="utm_source=after")).status_code == 302

    # A NUL used to fail its whole batch on PostgreSQL, again at every retry, holding up every click after it.
    events = await asyncio.wait_for(stored_events(link), 10)

    assert sorted(event.source for event in events) == ["after", "newsletter"]


async def test_redirect_records_query_and_utm_source_without_forwarding(client):
    user = await register(client)
    link = await create_link(client, user, url="https://example.com/page?ref=1")
    response = await visit(client, link, query="utm_source=newsletter&utm_medium=email")
    assert response.headers["location"] == "https://example.com/page?ref=1"
    await visit(client, link, query="utm_source=newsletter")
    await visit(client, link, query="utm_source=twitter")
    await visit(client, link)
    await recorder.flush()
    figures = (await client.get(f"/api/v1/analytics/links/{link['id']}", headers=user["headers"])).json()
    assert figures["total_clicks"] == 4
    expected = [("newsletter", 2), ("direct", 1), ("twitter", 1)]
    assert figures["clicks_by_source"] == [{"source": source, "clicks": clicks} for source, clicks in expected]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/page", "https://example.com/page?utm_source=x&a=1"),
        ("https://example.com/page?ref=1", "https://example.com/page?ref=1&utm_source=x&a=1"),
        ("https://example.com/page#frag", "https://example.com/page?utm_source=x&a=1#frag"),
    ],
)
async def test_redirect_forwards_query_when_configured(client, monkeypatch, url, expected):
    monkeypatch.setattr(settings, "FORWARD_QUERY_PARAMS", True)
    user = await register(client)
    link = await create_link(client, user, url=url)
    assert (await visit(client, link, query="utm_source=x&a=1")).headers["location"] == expected
    assert (await visit(client, link)).headers["location"] == url


def visitor(n: int) -> dict:
    """Headers of the n-th of many visitors behind a trusted proxy (one address each)."""
    return {"User-Agent": BROWSER, "X-Forwarded-For": f"203.0.{n // 200}.{n % 200 + 1}"}


async def test_redirect_200_concurrent_clicks_counted_exactly_once(client, monkeypatch):
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])
    user = await register(client)
    link = await create_link(client, user)
    responses = await asyncio.gather(*[visit(client, link, headers=visitor(n)) for n in range(200)])
    assert all(response.status_code == 302 for response in responses)
    assert await counted_clicks(client, user, link) == 200
    async with database.session() as db:
        assert await db.scalar(select(func.count()).select_from(LinkEvent)) == 200


async def test_redirect_believes_only_the_proxys_own_forwarded_for_line(client, monkeypatch):
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])
    user = await register(client)
    link = await create_link(client, user)
    # The client wrote its own X-Forwarded-For line; our proxy added another with the real address.
    headers = [("User-Agent", BROWSER), ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "198.51.100.23")]
    request = client.build_request("GET", short_path(link), headers=headers)

    assert (await client.send(request)).status_code == 302

    assert [event.ip_address for event in await stored_events(link)] == ["198.51.100.0"]


async def test_redirect_stores_bots_without_counting_them(client):
    user = await register(client)
    link = await create_link(client, user)
    for headers in BOTS:
        assert (await visit(client, link, headers=headers)).status_code == 302
    anonymous = client.build_request("GET", short_path(link))
    del anonymous.headers["user-agent"]  # no User-Agent at all
    assert (await client.send(anonymous)).status_code == 302
    await visit(client, link)
    events = await stored_events(link)
    assert sorted(event.is_bot for event in events) == [False] + [True] * (len(BOTS) + 1)
    human = next(event for event in events if not event.is_bot)
    assert (human.ip_address, human.user_agent) == ("127.0.0.0", BROWSER)  # stored as its /24
    assert await counted_clicks(client, user, link) == 1
    figures = (await client.get(f"/api/v1/analytics/links/{link['id']}", headers=user["headers"])).json()
    assert figures["total_clicks"] == 1


async def test_redirect_follows_url_change_immediately(client):
    user = await register(client)
    link = await create_link(client, user, url="https://old.example/")
    assert (await visit(client, link)).headers["location"] == "https://old.example/"
    await client.patch(f"/api/v1/links/{link['id']}", json={"url": "https://new.example/"}, headers=user["headers"])
    assert (await visit(client, link)).headers["location"] == "https://new.example/"


async def test_redirect_after_url_change_does_not_reuse_a_lookup_begun_before(client, monkeypatch):
    user = await register(client)
    link = await create_link(client, user, url="https://old.example/")
    real_load, loaded, release = redirects._load, asyncio.Event(), asyncio.Event()

    async def slow_load(code):  # the first lookup reads the old row, then stalls
        target = await real_load(code)
        if not release.is_set():
            loaded.set()
            await release.wait()
        return target

    real_get, lookups = redirects.cache.get, []

    async def noted_get(code):  # joining a lookup under way, or starting one, happens in this step
        lookups.append(code)
        return await real_get(code)

    monkeypatch.setattr(redirects, "_load", slow_load)
    monkeypatch.setattr(redirects.cache, "get", noted_get)
    early = asyncio.create_task(visit(client, link))
    await loaded.wait()
    await client.patch(f"/api/v1/links/{link['id']}", json={"url": "https://new.example/"}, headers=user["headers"])
    late = asyncio.create_task(visit(client, link))
    # Released only once the later request has looked the code up: while the early lookup still
    # stalls, so that it would join it if the edit had not cut it off.
    deadline = asyncio.get_running_loop().time() + 5
    while len(lookups) < 2 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    assert len(lookups) == 2, "the later request never reached the cache"
    release.set()
    assert (await early).headers["location"] == "https://old.example/"
    assert (await late).headers["location"] == "https://new.example/"


async def test_redirect_finds_slug_created_after_a_miss(client):
    user = await register(client)
    assert (await visit(client, "/fresh-code")).status_code == 404
    await create_link(client, user, slug="fresh-code")
    assert (await visit(client, "/fresh-code")).status_code == 302


async def test_redirect_over_rate_limit_is_429_with_retry_after(client, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_REDIRECT", "5/minute")
    user = await register(client)
    link = await create_link(client, user)
    statuses = [(await visit(client, link)).status_code for _ in range(5)]
    assert statuses == [302] * 5
    refused = await visit(client, "/unknown-code")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-remaining"] == "0"
    assert "location" not in refused.headers
    assert await counted_clicks(client, user, link) == 5


async def test_redirect_ignores_other_methods_and_app_paths(client):
    user = await register(client)
    link = await create_link(client, user, slug="post-me")
    assert (await client.post("/post-me")).status_code != 302
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert (await visit(client, "/healthz")).json() == {"status": "ok"}
    assert await stored_events(link) == []
