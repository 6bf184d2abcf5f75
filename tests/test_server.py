"""The real server, started as the README starts it: routing at the root and a clean shutdown."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.live import start_server

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
PASSWORD = "Corr3ct-Horse!"


def _count_events(database_url: str) -> int:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM link_events")).scalar_one()
    finally:
        engine.dispose()


def _user_and_link(http: httpx.Client) -> tuple[dict, dict]:
    token = http.post("/api/v1/auth/register", json={"username": "shutdown", "password": PASSWORD}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    link = http.post("/api/v1/links", json={"url": "https://example.com/landing"}, headers=headers)
    assert link.status_code == 201, link.text
    return headers, link.json()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request, temp_databases) -> str:
    return getattr(temp_databases, request.param)()


def test_sigterm_writes_every_queued_click(fresh_database, tmp_path):
    # The writer would wait two minutes before its first write: only the shutdown flush can store these.
    server = start_server(fresh_database, tmp_path / "server.log", backend_only=True, extra_env={"CLICK_FLUSH_INTERVAL": "120"})
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            _, link = _user_and_link(http)
            code = link["shortened_url"].rsplit("/", 1)[1]
            for _ in range(40):
                assert http.get(f"/{code}", headers={"User-Agent": BROWSER_UA}).status_code == 302
        assert _count_events(fresh_database) == 0
    finally:
        exit_code = server.stop()
    assert _count_events(fresh_database) == 40, server.log()[-2000:]
    assert exit_code in (0, -15), server.log()[-2000:]


def test_root_serves_pages_api_docs_and_short_links(prod_server):
    with httpx.Client(base_url=prod_server.base_url, timeout=10) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        assert "Linkapp" in http.get("/").text
        assert http.get("/docs").status_code == 200
        assert http.get("/openapi.json").json()["info"]["title"] == "Linkapp API"
        assert http.get("/ping").status_code == 200  # Reflex's own endpoint is not taken for a short code
        missing = http.get("/nosuchcode1", headers={"Accept": "text/html"})
        assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
        assert http.get("/nosuchcode1").headers["content-type"] == "text/plain; charset=utf-8"  # curl's */*
        api_missing = http.get("/api/v1/nothing-here")
        assert api_missing.status_code == 404
        assert api_missing.headers["content-type"] == "application/problem+json"

        token = http.post("/api/v1/auth/register", json={"username": "rootcheck", "password": PASSWORD}).json()["access_token"]
        created = http.post("/api/v1/links", json={"url": "https://example.org/x", "slug": "Root-Check"}, headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201, created.text
        followed = http.get("/root-check", headers={"User-Agent": BROWSER_UA})
        assert followed.status_code == 302
        assert followed.headers["location"] == "https://example.org/x"
        assert followed.headers["cache-control"] == "private, no-store"
