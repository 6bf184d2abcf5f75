"""GET /metrics and the click pipeline's metrics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from linkapp.core import ids, metrics
from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services.clicks.recorder import ClickRecorder
from tests.factories import create_link, register, short_path

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
NAMES = {
    "linkapp_click_queue_depth",
    "linkapp_click_queue_full",
    "linkapp_clicks_stored",
    "linkapp_click_store_failures",
    "linkapp_clicks_spooled",
    "linkapp_clicks_replayed",
    "linkapp_redirects",
}


def sample(name: str, **labels) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def test_metrics_answers_prometheus_text(client):
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert NAMES <= {family.name for family in text_string_to_metric_families(response.text)}


async def test_metrics_with_a_token_set_want_it(client, monkeypatch):
    monkeypatch.setattr(settings, "METRICS_TOKEN", "scrape-secret")

    refused = [await client.get("/metrics"), await client.get("/metrics", headers={"Authorization": "Bearer wrong"})]
    allowed = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})

    assert [response.status_code for response in refused] == [401, 401]
    assert refused[0].headers["content-type"] == "application/problem+json"
    assert allowed.status_code == 200 and "linkapp_redirects" in allowed.text


async def test_metrics_in_production_without_a_token_are_refused_and_say_what_to_set(client, monkeypatch):
    monkeypatch.setattr(settings, "ENV", "production")
    monkeypatch.setattr(settings, "METRICS_TOKEN", None)

    response = await client.get("/metrics")

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "METRICS_TOKEN" in response.json()["detail"]
    assert "linkapp_redirects" not in response.text


async def test_metrics_in_production_with_a_token_want_it(client, monkeypatch):
    monkeypatch.setattr(settings, "ENV", "production")
    monkeypatch.setattr(settings, "METRICS_TOKEN", "scrape-secret")

    refused = await client.get("/metrics")
    allowed = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})

    assert refused.status_code == 401
    assert allowed.status_code == 200 and "linkapp_redirects" in allowed.text


async def test_metrics_in_development_need_no_token(client, monkeypatch):
    monkeypatch.setattr(settings, "ENV", "development")
    monkeypatch.setattr(settings, "METRICS_TOKEN", None)
    response = await client.get("/metrics")
    assert response.status_code == 200 and "linkapp_redirects" in response.text


async def test_redirect_counts_answers_by_status(client):
    user = await register(client)
    link = await create_link(client, user)
    before = sample("linkapp_redirects_total", status="302")
    assert (await client.get(short_path(link), headers={"User-Agent": BROWSER})).status_code == 302
    assert sample("linkapp_redirects_total", status="302") == before + 1


async def test_full_queue_moves_depth_and_full_counter(client):
    user = await register(client)
    link_id = ids.decode_link_id((await create_link(client, user))["id"])
    stored_before = sample("linkapp_clicks_stored_total")
    full_before = sample("linkapp_click_queue_full_total")
    recorder = ClickRecorder(maxsize=2)  # writer not started yet: the queue fills
    clicks = [Click(link_id=link_id, clicked_at=datetime.now(UTC), user_agent=BROWSER) for _ in range(3)]
    await recorder.record(clicks[0])
    await recorder.record(clicks[1])
    assert sample("linkapp_click_queue_depth") == 2
    waiting = asyncio.create_task(recorder.record(clicks[2]))
    # Counting the full queue is the last thing a dropping recorder would do before returning, in
    # the same step: once the count is seen, such a task would be done already.
    deadline = asyncio.get_running_loop().time() + 5
    while sample("linkapp_click_queue_full_total") == full_before and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    assert not waiting.done()  # back-pressure: held, not dropped
    assert sample("linkapp_click_queue_full_total") == full_before + 1
    recorder.start()
    await asyncio.wait_for(waiting, 5)
    await asyncio.wait_for(recorder.flush(), 10)
    assert sample("linkapp_click_queue_depth") == 0
    assert sample("linkapp_clicks_stored_total") == stored_before + 3
    await recorder.stop()
