"""One instance with Redis runs several worker processes (real server, real Redis): it must
answer as one. /metrics adds up every worker's counts whichever worker serves the scrape, a
visitor's burst is judged the same however the workers share its clicks, and an edited link
leaves every worker's cache at once."""

from __future__ import annotations

import signal
import time

import httpx
import psutil
import pytest

from tests import redis_server
from tests.live import BROWSER_UA, fire, start_server

pytestmark = pytest.mark.skipif(bool(redis_server.missing()), reason=redis_server.missing() or "")

SAME_VISITOR = 100
OTHER_VISITORS = 40
SPREAD = 40  # requests on a connection each: the workers take turns


def _sample(text: str, name: str) -> float:
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + " ") or line.startswith(name + "{")]
    assert len(values) == 1, f"{name}: {values}"
    return values[0]


async def test_several_workers_count_judge_and_redirect_as_one_instance(temp_databases, tmp_path):
    with redis_server.server_names() as names:
        # A minute of link cache: longer than the wait for an edit to reach every worker below.
        env = {**names, "TRUSTED_PROXIES": "127.0.0.1", "RATE_LIMIT_REDIRECT": "100000/minute", "LINK_CACHE_TTL": "60"}
        server = start_server(temp_databases.postgresql(), tmp_path / "server.log", backend_only=True, extra_env=env)
        try:
            workers = psutil.Process(server.process.pid).children(recursive=True)  # backend only: no bun
            assert len(workers) >= 2, f"expected several workers with Redis, found {len(workers)}"
            with httpx.Client(base_url=server.base_url, timeout=10) as http:
                user = http.post("/api/v1/auth/register", json={"username": "workers", "password": "Corr3ct-Horse!"}).json()
                headers = {"Authorization": f"Bearer {user['access_token']}"}
                link = http.post("/api/v1/links", json={"url": "https://example.com/landing"}, headers=headers).json()
                code = link["shortened_url"].rsplit("/", 1)[1]

                # One visitor hammering the link, spread over the workers, then people from elsewhere.
                assert await fire(server.base_url, code, SAME_VISITOR, concurrency=8) == {302: SAME_VISITOR}
                for n in range(OTHER_VISITORS):
                    response = http.get(f"/{code}", headers={"User-Agent": BROWSER_UA, "X-Forwarded-For": f"198.51.100.{n + 1}"})
                    assert response.status_code == 302
                answered = SAME_VISITOR + OTHER_VISITORS

                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and _sample(http.get("/metrics").text, "linkapp_clicks_stored_total") < answered:
                    time.sleep(0.2)
                scrapes = [httpx.get(f"{server.base_url}/metrics").text for _ in range(12)]  # a connection each: several workers
                for text in scrapes:
                    assert _sample(text, "linkapp_redirects_total") == answered
                    assert _sample(text, "linkapp_clicks_stored_total") == answered

                body = http.get(f"/api/v1/analytics/links/{link['id']}", headers=headers).json()

                # An edit through one worker must leave every worker's cache at once (the first round
                # warms every worker's cache).
                def locations() -> set[str]:
                    return {
                        httpx.get(f"{server.base_url}/{code}", headers={"User-Agent": BROWSER_UA, "X-Forwarded-For": f"203.0.113.{n + 1}"}).headers["location"]
                        for n in range(SPREAD)
                    }

                assert locations() == {"https://example.com/landing"}
                edited = http.patch(f"/api/v1/links/{link['id']}", json={"url": "https://example.com/moved"}, headers=headers)
                assert edited.status_code == 200
                # The announcement crosses Redis. A worker that missed it would serve the old target
                # until its cache entry expires (LINK_CACHE_TTL): wait well short of that.
                deadline = time.monotonic() + 10
                while (seen := locations()) != {"https://example.com/moved"} and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert seen == {"https://example.com/moved"}
        finally:
            server.stop(signal.SIGTERM)
    assert body["total_clicks"] == 20 + OTHER_VISITORS, body
    assert {row["reason"]: row["clicks"] for row in body["bots"]} == {"burst": SAME_VISITOR - 20}
