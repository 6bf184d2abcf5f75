"""Sessions: POST /api/v1/auth/refresh and /logout, GET /api/v1/auth/me and the tokens it refuses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import delete, update

from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.models.token import RefreshToken
from linkapp.models.user import User
from tests.api.test_auth import LOGIN, ME, assert_new_session, assert_problem, refresh_cookie
from tests.factories import PASSWORD, register

REFRESH, LOGOUT = "/api/v1/auth/refresh", "/api/v1/auth/logout"


def cookie_header(token: str) -> dict[str, str]:
    return {"Cookie": f"refresh_token={token}"}


async def refresh_with_body(client, token: str):
    client.cookies.clear()
    return await client.post(REFRESH, json={"refresh_token": token})


async def test_refresh_with_cookie_returns_new_tokens(client):
    user = await register(client)  # the client keeps the cookie, as a browser would
    response = await client.post(REFRESH)
    assert response.status_code == 200, response.text
    await assert_new_session(client, response, user)


async def test_refresh_with_body_returns_new_tokens(client):
    user = await register(client)
    response = await refresh_with_body(client, user["refresh_token"])
    assert response.status_code == 200
    assert response.json()["id"] == user["id"]
    assert refresh_cookie(response)["value"] != user["refresh_token"]


async def test_refresh_prefers_body_over_cookie(client):
    alice, bob = await register(client), await register(client)
    client.cookies.clear()
    response = await client.post(REFRESH, json={"refresh_token": bob["refresh_token"]}, headers=cookie_header(alice["refresh_token"]))
    assert response.json()["username"] == bob["username"]
    # A bad token in the body is not rescued by a good cookie.
    response = await client.post(REFRESH, json={"refresh_token": "not-a-token"}, headers=cookie_header(alice["refresh_token"]))
    assert_problem(response, 401)


async def test_refresh_rotates_so_the_old_token_stops_working(client):
    user = await register(client)
    assert (await refresh_with_body(client, user["refresh_token"])).status_code == 200
    assert_problem(await refresh_with_body(client, user["refresh_token"]), 401)


async def test_refresh_reusing_a_rotated_token_revokes_the_whole_family(client):
    user = await register(client)
    other_device = await client.post(LOGIN, json={"username": user["username"], "password": PASSWORD})
    newest = refresh_cookie(await refresh_with_body(client, user["refresh_token"]))["value"]
    newest = refresh_cookie(await refresh_with_body(client, newest))["value"]
    # The first token comes back: someone copied it. Its family ends, newest token included.
    assert_problem(await refresh_with_body(client, user["refresh_token"]), 401)
    assert_problem(await refresh_with_body(client, newest), 401)
    # The session signed in separately is another family and goes on.
    assert (await refresh_with_body(client, refresh_cookie(other_device)["value"])).status_code == 200


async def test_refresh_concurrently_with_one_token_ends_the_family(client):
    user = await register(client)
    client.cookies.clear()
    responses = await asyncio.gather(*(client.post(REFRESH, json={"refresh_token": user["refresh_token"]}) for _ in range(3)))
    assert sorted(r.status_code for r in responses)[1:] == [401, 401]
    # A token used twice is a leaked token: even the one answer that got through is signed out.
    for winner in (r for r in responses if r.status_code == 200):
        assert_problem(await refresh_with_body(client, refresh_cookie(winner)["value"]), 401)


@pytest.mark.parametrize("body", [None, {}, {"refresh_token": ""}, {"refresh_token": "made-up-token"}])
async def test_refresh_without_a_valid_token_is_401(client, body):
    await register(client)
    client.cookies.clear()
    response = await client.post(REFRESH, json=body) if body is not None else await client.post(REFRESH)
    assert_problem(response, 401)
    assert "set-cookie" not in response.headers


# A lone surrogate is refused as text (422) like every body field's, never a 500.
@pytest.mark.parametrize(("path", "status"), [(REFRESH, 422), (LOGOUT, 422)])
async def test_refresh_and_logout_with_a_lone_surrogate_token_do_not_fail(client, path, status):
    client.cookies.clear()
    response = await client.post(path, content='{"refresh_token": "abc\\ud800"}', headers={"Content-Type": "application/json"})
    assert response.status_code == status


async def test_refresh_with_an_expired_token_is_401(client, db):
    user = await register(client)
    await db.execute(update(RefreshToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    await db.commit()
    assert_problem(await refresh_with_body(client, user["refresh_token"]), 401)


async def test_refresh_for_a_deleted_user_is_401(client, db):
    user = await register(client)
    await db.execute(delete(User).where(User.id == ids.decode_user_id(user["id"])))
    await db.commit()
    assert_problem(await refresh_with_body(client, user["refresh_token"]), 401)


async def test_logout_with_cookie_revokes_the_session_and_clears_the_cookie(client):
    user = await register(client)
    response = await client.post(LOGOUT)
    assert response.status_code == 204 and response.content == b""
    cookie = refresh_cookie(response)
    assert cookie["value"] == ""
    assert cookie.get("max-age") == "0" or "expires" in cookie
    assert cookie["path"] == "/api/v1/auth"
    assert "refresh_token" not in client.cookies
    assert_problem(await refresh_with_body(client, user["refresh_token"]), 401)


async def test_logout_with_body_revokes_the_whole_session(client):
    user = await register(client)
    rotated = refresh_cookie(await refresh_with_body(client, user["refresh_token"]))["value"]
    response = await client.post(LOGOUT, json={"refresh_token": rotated})
    assert response.status_code == 204
    assert_problem(await refresh_with_body(client, rotated), 401)


async def test_logout_leaves_other_sessions_signed_in(client):
    user = await register(client)
    other_device = await client.post(LOGIN, json={"username": user["username"], "password": PASSWORD})
    assert (await client.post(LOGOUT, json={"refresh_token": user["refresh_token"]})).status_code == 204
    assert (await refresh_with_body(client, refresh_cookie(other_device)["value"])).status_code == 200


@pytest.mark.parametrize("body", [None, {"refresh_token": "made-up-token"}])
async def test_logout_without_a_known_token_still_succeeds(client, body):
    client.cookies.clear()
    response = await client.post(LOGOUT, json=body) if body is not None else await client.post(LOGOUT)
    assert response.status_code == 204
    assert refresh_cookie(response)["value"] == ""


async def test_logout_clears_a_secure_cookie_when_host_url_is_https(client, monkeypatch):
    monkeypatch.setattr(settings, "HOST_URL", "https://sho.rt")
    user = await register(client)
    response = await client.post(LOGOUT, json={"refresh_token": user["refresh_token"]})
    assert refresh_cookie(response)["secure"] is True


async def test_me_returns_the_signed_in_user(client):
    user = await register(client, username="Me_Myself")
    response = await client.get(ME, headers=user["headers"])
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user["id"] and body["username"] == "Me_Myself"
    created = datetime.fromisoformat(body["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=1)
    assert "password" not in response.text.lower() and "hash" not in response.text.lower()


def _jwt(claims: dict, *, secret: str | None = None, algorithm: str | None = None) -> str:
    now = datetime.now(UTC)
    payload = {"iat": now, "exp": now + timedelta(minutes=5), "type": "access", **claims}
    return jwt.encode(payload, settings.JWT_SECRET if secret is None else secret, algorithm=algorithm or settings.JWT_ALGORITHM)


def _bad_authorization(kind: str, user: dict) -> dict[str, str]:
    sub, past = user["id"], datetime.now(UTC) - timedelta(hours=1)
    header, _, signature = user["access_token"].split(".")
    tampered_payload = _jwt({"sub": ids.encode_user_id(ids.decode_user_id(sub) + 1)}).split(".")[1]
    values = {
        "missing": None,
        "empty-bearer": "Bearer ",
        "basic-scheme": f"Basic {user['access_token']}",
        "garbage": "Bearer not.a.jwt",
        "wrong-secret": "Bearer " + _jwt({"sub": sub}, secret="another-secret-" + "y" * 40),
        "expired": "Bearer " + _jwt({"sub": sub, "iat": past, "exp": past + timedelta(minutes=15)}),
        "alg-none": "Bearer " + jwt.encode({"sub": sub, "exp": datetime.now(UTC) + timedelta(minutes=5), "type": "access"}, None, algorithm="none"),
        "not-access-type": "Bearer " + _jwt({"sub": sub, "type": "refresh"}),
        "refresh-token": f"Bearer {user['refresh_token']}",
        "tampered-subject": f"Bearer {header}.{tampered_payload}.{signature}",
        "unknown-subject": "Bearer " + _jwt({"sub": ids.encode_user_id(987654)}),
        "numeric-subject": "Bearer " + _jwt({"sub": str(ids.decode_user_id(sub))}),
    }
    return {} if values[kind] is None else {"Authorization": values[kind]}


BAD_TOKENS = ["missing", "empty-bearer", "basic-scheme", "garbage", "wrong-secret", "expired", "alg-none",
              "not-access-type", "refresh-token", "tampered-subject", "unknown-subject", "numeric-subject"]


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_me_refuses_a_bad_token_with_401(client, kind):
    user = await register(client)
    await register(client)  # tampered-subject points at this one
    assert (await client.get(ME, headers=user["headers"])).status_code == 200
    response = await client.get(ME, headers=_bad_authorization(kind, user))
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].lower().startswith("bearer")


async def test_me_refuses_the_token_of_a_deleted_user(client, db):
    user = await register(client)
    assert (await client.get(ME, headers=user["headers"])).status_code == 200
    await db.execute(delete(User).where(User.id == ids.decode_user_id(user["id"])))
    await db.commit()
    assert_problem(await client.get(ME, headers=user["headers"]), 401)
    # A newcomer does not inherit the deleted account's tokens.
    newcomer = await register(client)
    assert newcomer["id"] != user["id"]
    assert_problem(await client.get(ME, headers=user["headers"]), 401)


@pytest.mark.parametrize("route", [REFRESH, LOGOUT])
@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://testserver.evil.example"])
async def test_the_cookie_from_another_sites_page_is_refused(client, route, origin):
    # A page elsewhere can make the browser POST with its cookie, but not hide where it came from.
    user = await register(client)

    body = assert_problem(await client.post(route, headers={"Origin": origin}), 403)

    assert "origin" in body["detail"].lower()
    # Nothing happened to the session: the real page can still renew it.
    assert (await client.post(REFRESH, headers={"Origin": settings.HOST_URL})).status_code == 200
    assert user["refresh_token"]


@pytest.mark.parametrize("route", [REFRESH, LOGOUT])
async def test_the_cookie_from_the_apps_own_page_or_a_script_is_accepted(client, route):
    await register(client)
    # The app's own origin (HOST_URL), or none at all (curl, scripts: they hold the cookie themselves).
    assert (await client.post(REFRESH, headers={"Origin": settings.HOST_URL})).status_code == 200
    assert (await client.post(route)).status_code in (200, 204)


async def test_the_page_served_at_another_address_of_this_server_may_use_its_cookie(db_engine, asgi_app):
    # Opened as http://127.0.0.1:8000 although HOST_URL names another host: Origin and Host
    # agree, so the request is same-origin by definition, and no other site can forge that pair.
    transport = httpx.ASGITransport(app=asgi_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as browser:
        await register(browser)
        assert (await browser.post(REFRESH, headers={"Origin": "http://127.0.0.1:8000"})).status_code == 200
        assert_problem(await browser.post(REFRESH, headers={"Origin": "http://127.0.0.1:9000"}), 403)


async def test_a_token_in_the_body_needs_no_origin_check(client):
    user = await register(client)
    client.cookies.clear()
    response = await client.post(REFRESH, json={"refresh_token": user["refresh_token"]}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
