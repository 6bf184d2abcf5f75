"""Cookie-authenticated requests: only the app's own pages may send them (api/origin.py)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI

from linkapp.api import errors
from linkapp.api.origin import check_cookie_origin, is_own_origin
from linkapp.core.config import settings

REFLEX_VARIABLES = ("REFLEX_ENV_MODE", "REFLEX_BACKEND_ONLY", "REFLEX_FRONTEND_PORT")


@pytest.fixture(autouse=True)
def own_site(monkeypatch):
    """The app at https://short.example, with its UI also at https://app.example; no reflex run."""
    monkeypatch.setattr(settings, "HOST_URL", "https://short.example")
    monkeypatch.setattr(settings, "CORS_ORIGINS", ["https://app.example"])
    for name in REFLEX_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "origin",
    ["https://short.example", "HTTPS://Short.Example", "https://short.example:443", "https://app.example"],
)
def test_own_origins_in_any_spelling_are_own(origin):
    assert is_own_origin(origin)


@pytest.mark.parametrize(
    "origin",
    [
        "null",
        "",
        "http://short.example",  # another scheme
        "https://short.example:8443",  # another port of the same host
        "https://evil.example",
        "https://short.example.evil.example",
        "https://evil.short.example",  # a sibling: same-site, so SameSite=Lax lets the cookie through
        "https://short.example@evil.example",
        "https://short.example/path",
        "*",
    ],
)
def test_other_origins_are_foreign(origin):
    assert not is_own_origin(origin)


def test_ipv6_host_url_origin_is_own(monkeypatch):
    monkeypatch.setattr(settings, "HOST_URL", "http://[::1]:8000")
    assert is_own_origin("http://[::1]:8000")
    assert not is_own_origin("http://[::1]:8001")


def test_cors_wildcard_does_not_make_every_origin_own(monkeypatch):
    monkeypatch.setattr(settings, "CORS_ORIGINS", ["*"])
    assert settings.cors_origins == ["*"]
    assert not is_own_origin("https://evil.example")
    assert is_own_origin("https://short.example")


def test_dev_server_is_own_only_while_reflex_dev_run_serves_it(monkeypatch):
    assert not is_own_origin("http://localhost:3000")
    monkeypatch.setenv("REFLEX_ENV_MODE", "dev")
    monkeypatch.setenv("REFLEX_BACKEND_ONLY", "False")
    monkeypatch.setenv("REFLEX_FRONTEND_PORT", "3002")
    assert is_own_origin("http://localhost:3002")
    assert not is_own_origin("http://localhost:3000")
    monkeypatch.setenv("REFLEX_ENV_MODE", "prod")
    assert not is_own_origin("http://localhost:3002")


@pytest.fixture
async def cookie_client():
    """A tiny app whose one route is authenticated by a cookie, guarded as the auth routes are."""
    app = FastAPI()
    errors.install(app)

    @app.post("/refresh", dependencies=[Depends(check_cookie_origin)])
    async def refresh() -> dict:
        return {"ok": True}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://short.example", cookies={"refresh_token": "t"}) as http:
        yield http


async def test_cookie_request_from_own_page_passes(cookie_client):
    response = await cookie_client.post("/refresh", headers={"Origin": "https://short.example"})
    assert response.status_code == 200


async def test_cookie_request_without_origin_passes(cookie_client):
    # curl and scripts send no Origin; every current browser does on a POST.
    response = await cookie_client.post("/refresh")
    assert response.status_code == 200


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
async def test_cookie_request_from_another_site_is_refused_as_problem_json(cookie_client, origin):
    response = await cookie_client.post("/refresh", headers={"Origin": origin})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Forbidden"
    assert "CORS_ORIGINS" in response.json()["detail"]


async def test_cookie_request_from_the_address_it_was_sent_to_passes(cookie_client):
    # Opened at an address other than HOST_URL's: Origin and Host agree, same-origin by definition.
    headers = {"Host": "10.0.0.5:8000", "Origin": "https://10.0.0.5:8000"}
    assert (await cookie_client.post("/refresh", headers=headers)).status_code == 200
    assert (await cookie_client.post("/refresh", headers={**headers, "Origin": "https://10.0.0.5:8001"})).status_code == 403
    assert (await cookie_client.post("/refresh", headers={**headers, "Origin": "http://10.0.0.5:8000"})).status_code == 403


async def test_cookie_request_with_a_foreign_origin_among_several_is_refused(cookie_client):
    headers = [("Origin", "https://short.example"), ("Origin", "https://evil.example")]
    response = await cookie_client.post("/refresh", headers=headers)
    assert response.status_code == 403
