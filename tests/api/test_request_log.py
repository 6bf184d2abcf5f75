"""One JSON line per request with the route's template and a request id echoed to the client."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from linkapp.api.app import api
from linkapp.api.headers import SecurityHeaders
from linkapp.api.request_log import RequestLog
from linkapp.core.config import settings
from linkapp.redirect import ShortLinks
from tests.factories import create_link, register, short_path


@pytest.fixture
async def logged(db_engine, caplog):
    """The app as it is served, from a client behind no proxy, with the request lines captured."""
    caplog.set_level(logging.INFO, logger="linkapp.requests")
    transport = httpx.ASGITransport(app=ShortLinks(RequestLog(SecurityHeaders(api))), raise_app_exceptions=False, client=("198.51.100.77", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _lines(caplog) -> list[dict]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == "linkapp.requests"]


async def test_each_request_is_one_json_line_with_the_route_template(logged, caplog):
    user = await register(logged)
    link = await create_link(logged, user)
    caplog.clear()

    response = await logged.get(f"/api/v1/links/{link['id']}?access_token=secret-in-the-query", headers=user["headers"])

    [line] = _lines(caplog)
    assert line["method"] == "GET" and line["path"] == "/api/v1/links/{link_id}" and line["status"] == 200
    assert line["request_id"] == response.headers["x-request-id"] and line["duration_ms"] >= 0
    # No query string, no token, no full address while anonymization is on.
    text = json.dumps(line)
    assert "secret" not in text and link["id"] not in text and "198.51.100.77" not in text
    assert line["client"] == "198.51.100.0"


async def test_a_proxys_request_id_is_kept_and_a_bad_one_replaced(logged, caplog):
    kept = await logged.get("/healthz", headers={"X-Request-ID": "abc-123_DEF.9"})
    replaced = await logged.get("/healthz", headers={"X-Request-ID": "<script>\r\nSet-Cookie: x"})

    assert kept.headers["x-request-id"] == "abc-123_DEF.9"
    assert len(replaced.headers["x-request-id"]) == 32 and "<" not in replaced.headers["x-request-id"]
    assert [line["request_id"] for line in _lines(caplog)] == [kept.headers["x-request-id"], replaced.headers["x-request-id"]]


async def test_errors_are_logged_with_their_status(logged, caplog):
    await logged.get("/api/v1/nowhere")
    await logged.get("/api/v1/links")  # 401

    assert [(line["path"], line["status"]) for line in _lines(caplog)] == [("/api/{path:path}", 404), ("/api/v1/links", 401)]


async def test_the_redirect_is_not_logged_per_request(logged, caplog):
    user = await register(logged)
    link = await create_link(logged, user)
    caplog.clear()

    response = await logged.get(short_path(link))

    assert response.status_code == 302 and "x-request-id" not in response.headers
    assert _lines(caplog) == []


async def test_with_anonymization_off_the_full_address_is_logged(logged, caplog, monkeypatch):
    monkeypatch.setattr(settings, "ANONYMIZE_IP", False)
    await logged.get("/healthz")
    assert _lines(caplog)[0]["client"] == "198.51.100.77"


def test_production_writes_the_bare_json_lines_to_standard_error(monkeypatch, capsys):
    from linkapp.api import request_log

    logger = logging.getLogger("linkapp.requests")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "propagate", True)
    monkeypatch.setattr(settings, "ENV", "development")
    request_log.configure()
    assert logger.handlers == []  # development stays quiet
    monkeypatch.setattr(settings, "ENV", "production")
    level = logger.level
    try:
        request_log.configure()
        logger.info('{"method":"GET"}')
    finally:
        logger.setLevel(level)
    assert capsys.readouterr().err == '{"method":"GET"}\n'
