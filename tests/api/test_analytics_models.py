"""Analytics and facts answers are typed in the OpenAPI document, and the types leave out or
change nothing of what the services compute."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from linkapp.core import ids
from linkapp.models.click import Click
from linkapp.services.analytics import facts
from linkapp.services.analytics import figures as analytics
from linkapp.services.clicks import store as click_store
from linkapp.services.visitors.bots import AFTER_EXPIRY
from tests.factories import create_link, register, store_clicks

RANGE = {"start": "2026-01-20", "end": "2026-01-24", "tz": "UTC"}
DAYS = (date(2026, 1, 20), date(2026, 1, 24), "UTC")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def as_json(value: dict) -> dict:
    return json.loads(json.dumps(value))


async def get_json(client, user: dict, path: str, **params) -> dict:
    response = await client.get(path, params=params, headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def owner(client):
    return await register(client)


@pytest.fixture
async def link(client, owner):
    """A tagged link with people's clicks (a spike on the 22nd), a bot's, and a visit after expiry."""
    link = await create_link(client, owner, url="https://example.com/launch", title="Launch", tags=["Spring"])
    await store_clicks(link, utc(2026, 1, 20, 9), utc(2026, 1, 21, 9), source="newsletter")
    await store_clicks(link, *(utc(2026, 1, 22, 10, minute) for minute in range(8)), ip="198.51.100.4")
    await store_clicks(link, utc(2026, 1, 23, 9), is_bot=True)
    link_id = ids.decode_link_id(link["id"])
    await click_store.store([Click(link_id=link_id, clicked_at=utc(2026, 1, 24, 9), ip_address="203.0.113.9", user_agent=FIREFOX, bot_reason=AFTER_EXPIRY)])
    return link


async def test_openapi_names_the_analytics_and_facts_models(client):
    doc = (await client.get("/openapi.json")).json()

    def answer(path: str) -> str:
        return doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]

    assert answer("/api/v1/analytics/links/{link_id}") == "LinkAnalyticsPublic"
    assert answer("/api/v1/analytics") == "AnalyticsSummaryPublic"
    assert answer("/api/v1/ai/facts") == "FactsPublic"
    schemas = doc["components"]["schemas"]
    assert {"expired_visits", "bots", "clicks_per_day", "shortened_url"} <= set(schemas["LinkAnalyticsPublic"]["required"])
    assert {"tag", "links", "expired_visits"} <= set(schemas["AnalyticsSummaryPublic"]["required"])
    assert schemas["InsightPublic"]["properties"]["facts"] == schemas["FactsPublic"]["properties"]["facts"] == {"$ref": "#/components/schemas/Facts"}
    # A part of the facts that can be missing is left out, never null, and the document says so.
    assert schemas["Facts"]["properties"]["trend"] == {"$ref": "#/components/schemas/Trend"}
    assert "trend" not in schemas["Facts"]["required"]


async def test_link_analytics_answer_is_the_services_figures_unchanged(client, db, owner, link):
    body = await get_json(client, owner, f"/api/v1/analytics/links/{link['id']}", **RANGE)

    computed = await analytics.link_analytics(db=db, owner_id=ids.decode_user_id(owner["id"]), public_id=link["id"], days=analytics.day_range(*DAYS))
    assert body == as_json(computed)
    assert (body["total_clicks"], body["expired_visits"], body["bots"]) == (10, 1, [{"reason": "bot", "clicks": 1}])
    assert body["clicks_by_source"][:1] == [{"source": "direct", "clicks": 8}]


async def test_summary_for_a_tag_is_the_services_figures_unchanged(client, db, owner, link):
    body = await get_json(client, owner, "/api/v1/analytics", tag="SPRING", **RANGE)

    computed = await analytics.summary(db=db, owner_id=ids.decode_user_id(owner["id"]), days=analytics.day_range(*DAYS), tag="SPRING")
    assert body == as_json(computed)
    assert (body["tag"], body["links"]) == ("spring", [{"id": link["id"], "title": "Launch", "total_clicks": 10}])


@pytest.mark.parametrize("one_link", [False, True])
async def test_facts_answer_is_the_services_facts_unchanged(client, db, owner, link, one_link):
    params = {**RANGE, "link_id": link["id"]} if one_link else RANGE
    body = (await get_json(client, owner, "/api/v1/ai/facts", **params))["facts"]

    computed = await facts.compute_facts(db=db, owner_id=ids.decode_user_id(owner["id"]), link_id=params.get("link_id"), start=DAYS[0], end=DAYS[1], tz="UTC")
    assert body == as_json(computed)
    assert body["peaks"]["day"] == {"day": "2026-01-22", "clicks": 8}
    assert body["anomalies"] == [{"day": "2026-01-22", "clicks": 8, "median": 1, "kind": "spike"}]
    assert ("link" in body, "links" in body) == (one_link, not one_link)


async def test_facts_leave_out_what_means_nothing_rather_than_send_null(client, owner):
    body = (await get_json(client, owner, "/api/v1/ai/facts", start="2026-01-01", end="2026-06-30"))["facts"]

    # No clicks: no peaks; 181 days: no daily series; none of it as null.
    assert "peaks" not in body and "clicks_per_day" not in body
    assert None not in body.values()
    assert body["totals"] == {"clicks": 0, "unique_visitors": 0, "average_per_day": 0.0}
