"""Every API error is application/problem+json, and none of them leaks internals."""

from __future__ import annotations

import pytest

from linkapp.api.limits import MAX_BODY_BYTES
from linkapp.services.links import service as link_service
from tests.factories import register

PROBLEM_JSON = "application/problem+json"
LEAK_MARKERS = ("Traceback", 'File "', "sqlalchemy", "SELECT ", "psycopg", "sqlite3", "test-secret")


def assert_problem(response, status: int) -> dict:
    """The response is an RFC 9457 problem with `status`, and shows nothing internal."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    for marker in LEAK_MARKERS:
        assert marker not in response.text
    return body


async def _chunks(payload: bytes, size: int = 64 * 1024):
    for start in range(0, len(payload), size):
        yield payload[start:start + size]


async def test_create_link_with_body_over_1mib_is_413(client):
    user = await register(client)
    payload = b'{"url": "https://example.com/' + b"a" * MAX_BODY_BYTES + b'"}'
    response = await client.post("/api/v1/links", content=payload, headers={**user["headers"], "Content-Type": "application/json"})
    assert "Content-Length" in response.request.headers
    assert_problem(response, 413)
    listing = await client.get("/api/v1/links", headers=user["headers"])
    assert listing.json()["total"] == 0


async def test_create_link_with_chunked_body_over_1mib_is_413(client):
    user = await register(client)
    payload = b'{"url": "https://example.com/' + b"a" * MAX_BODY_BYTES + b'"}'
    response = await client.post(
        "/api/v1/links", content=_chunks(payload), headers={**user["headers"], "Content-Type": "application/json"}
    )
    assert "Content-Length" not in response.request.headers
    assert_problem(response, 413)


async def test_create_link_with_chunked_body_under_limit_is_accepted(client):
    user = await register(client)
    payload = b'{"url": "https://example.com/chunked"}'
    response = await client.post(
        "/api/v1/links", content=_chunks(payload, size=8), headers={**user["headers"], "Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["url"] == "https://example.com/chunked"


async def test_request_with_invalid_content_length_is_413(client):
    user = await register(client)
    response = await client.post(
        "/api/v1/links", content=b"{}", headers={**user["headers"], "Content-Type": "application/json", "Content-Length": "-5"}
    )
    assert_problem(response, 413)


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v2/links", "/api/v1/links/abc/extra"])
async def test_unknown_api_path_is_404_problem(client, path):
    body = assert_problem(await client.get(path), 404)
    assert path in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v1/links", {"GET", "POST"}),
        ("DELETE", "/api/v1/links", {"GET", "POST"}),
        ("POST", "/api/v1/links/abc123", {"GET", "PATCH", "DELETE"}),
        ("GET", "/api/v1/auth/login", {"POST"}),
        ("TRACE", "/api/v1/links", {"GET", "POST"}),
    ],
)
async def test_wrong_method_is_405_problem_with_allow(client, method, path, allow):
    user = await register(client)
    response = await client.request(method, path, headers=user["headers"])
    assert_problem(response, 405)
    assert {item.strip() for item in response.headers["allow"].split(",")} == allow


async def test_create_link_with_malformed_json_is_422_with_errors(client):
    user = await register(client)
    response = await client.post(
        "/api/v1/links", content=b'{"url": "https://example.com/",', headers={**user["headers"], "Content-Type": "application/json"}
    )
    body = assert_problem(response, 422)
    assert body["errors"] and all(isinstance(err["loc"], list) and err["msg"] for err in body["errors"])
    assert body["errors"][0]["loc"][0] == "body"


async def test_create_link_without_url_is_422_naming_the_field(client):
    user = await register(client)
    body = assert_problem(await client.post("/api/v1/links", json={"title": "no url"}, headers=user["headers"]), 422)
    assert ["body", "url"] in [err["loc"] for err in body["errors"]]


async def test_list_links_with_non_numeric_limit_is_422_with_errors(client):
    user = await register(client)
    body = assert_problem(await client.get("/api/v1/links?limit=ten", headers=user["headers"]), 422)
    assert body["errors"][0]["loc"] == ["query", "limit"]


async def test_domain_validation_error_is_422_with_errors(client):
    user = await register(client)
    response = await client.post("/api/v1/links", json={"url": "javascript:alert(1)"}, headers=user["headers"])
    body = assert_problem(response, 422)
    assert body["errors"] == [{"loc": ["body", "url"], "msg": body["detail"]}]


async def test_list_links_without_token_is_401_problem(client):
    response = await client.get("/api/v1/links")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_list_links_with_forged_token_is_401_problem(client):
    response = await client.get("/api/v1/links", headers={"Authorization": "Bearer not.a.jwt"})
    assert_problem(response, 401)


async def test_unexpected_failure_is_500_problem_without_internals(client, monkeypatch):
    user = await register(client)

    async def broken(**_kwargs):
        raise RuntimeError('SELECT password_hash FROM users; File "/srv/linkapp/secret.py"')

    monkeypatch.setattr(link_service, "list_links", broken)
    response = await client.get("/api/v1/links", headers=user["headers"])
    body = assert_problem(response, 500)
    assert "password_hash" not in body["detail"]
    # Answered from FastAPI's outermost layer, and still secured like every other answer.
    assert (response.headers["x-content-type-options"], response.headers["x-frame-options"]) == ("nosniff", "DENY")


async def test_validation_errors_share_one_title(client):
    user = await register(client)
    by_schema = await client.post("/api/v1/links", json={"title": "no url"}, headers=user["headers"])
    by_rule = await client.post("/api/v1/links", json={"url": "ftp://example.com/"}, headers=user["headers"])
    by_query = await client.get("/api/v1/links?limit=0", headers=user["headers"])
    titles = {assert_problem(response, 422)["title"] for response in (by_schema, by_rule, by_query)}
    assert titles == {"Unprocessable Content"}
