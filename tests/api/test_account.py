"""The account's own security: POST /auth/password, DELETE /auth/me, GET and DELETE /auth/sessions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import and_, func, or_, select

from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.models.event import LinkEvent
from linkapp.models.rollup import LINK_SCOPE, OWNER_SCOPE, DayRollup
from linkapp.models.user import User
from tests.api.test_auth import LOGIN, ME, assert_problem, client_at
from tests.factories import PASSWORD, create_link, register, short_path, store_clicks

PASSWORD_URL, SESSIONS, REFRESH = "/api/v1/auth/password", "/api/v1/auth/sessions", "/api/v1/auth/refresh"
NEW_PASSWORD = "Quiet-Harbor-Lantern7"
FIREFOX_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"


async def _sign_in(asgi_app, user: dict, *, ip: str, agent: str, password: str = PASSWORD):
    """Another device of the user's signing in: its client (holding its cookie) and auth headers."""
    device = client_at(asgi_app, ip)
    device.headers["user-agent"] = agent
    response = await device.post(LOGIN, json={"username": user["username"], "password": password})
    assert response.status_code == 200, response.text
    return device, {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_sessions_lists_each_device_with_its_browser_and_address_prefix(client, asgi_app):
    user = await register(client)
    laptop, laptop_auth = await _sign_in(asgi_app, user, ip="198.51.100.23", agent=FIREFOX_UA)
    phone, _ = await _sign_in(asgi_app, user, ip="2001:db8:aa:bb::9", agent=IPHONE_UA)

    page = (await laptop.get(SESSIONS, headers=laptop_auth)).json()

    assert page["total"] == 3 and page["limit"] == 20 and page["offset"] == 0
    newest, laptops, first = page["items"]
    assert (newest["device"], newest["browser"], newest["ip_prefix"], newest["current"]) == ("mobile", "Mobile Safari", "2001:db8:aa::", False)
    assert (laptops["device"], laptops["browser"], laptops["ip_prefix"], laptops["current"]) == ("desktop", "Firefox", "198.51.100.0", True)
    assert first["current"] is False and first["id"].startswith("ses_")
    assert all(item["created_at"] <= item["last_used_at"] for item in page["items"])
    # No token, and no full address, ever leaves the server.
    text = str(page)
    assert "198.51.100.23" not in text and "::9" not in text and user["refresh_token"] not in text
    await laptop.aclose()
    await phone.aclose()


async def test_revoking_a_session_signs_that_device_out_only(client, asgi_app):
    user = await register(client)
    phone, _ = await _sign_in(asgi_app, user, ip="198.51.100.24", agent=IPHONE_UA)
    sessions = (await client.get(SESSIONS, headers=user["headers"])).json()["items"]
    phones = next(item for item in sessions if item["device"] == "mobile")

    response = await client.delete(f"{SESSIONS}/{phones['id']}", headers=user["headers"])

    assert response.status_code == 204
    assert_problem(await phone.post(REFRESH), 401)
    assert (await client.post(REFRESH)).status_code == 200  # this browser stays signed in
    left = (await client.get(SESSIONS, headers=user["headers"])).json()
    assert [item["id"] for item in left["items"]] == [item["id"] for item in sessions if item["id"] != phones["id"]]
    await phone.aclose()


@pytest.mark.parametrize("session_id", ["ses_" + "0" * 32, "ses_nothex", "not-a-session", "ses_"])
async def test_revoking_an_unknown_session_is_404(client, session_id):
    user = await register(client)
    assert_problem(await client.delete(f"{SESSIONS}/{session_id}", headers=user["headers"]), 404)


async def test_nobody_revokes_or_sees_another_users_session(client, asgi_app):
    owner = await register(client)
    other_client = client_at(asgi_app, "198.51.100.25")
    other = await register(other_client)
    owners_session = (await client.get(SESSIONS, headers=owner["headers"])).json()["items"][0]["id"]

    assert_problem(await other_client.delete(f"{SESSIONS}/{owners_session}", headers=other["headers"]), 404)

    assert [item["id"] for item in (await other_client.get(SESSIONS, headers=other["headers"])).json()["items"]] != [owners_session]
    assert (await client.post(REFRESH)).status_code == 200
    await other_client.aclose()


async def test_changing_the_password_signs_out_every_other_session_and_keeps_keys(client, asgi_app):
    user = await register(client)
    thief, _ = await _sign_in(asgi_app, user, ip="203.0.113.66", agent=FIREFOX_UA)
    key = (await client.post("/api/v1/auth/keys", json={"name": "backup script"}, headers=user["headers"])).json()["key"]

    response = await client.post(PASSWORD_URL, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=user["headers"])

    assert response.status_code == 204, response.text
    assert_problem(await thief.post(REFRESH), 401)
    assert (await client.post(REFRESH)).status_code == 200  # the session that changed it stays
    assert (await client.get(ME, headers={"Authorization": f"Bearer {key}"})).status_code == 200
    assert_problem(await client.post(LOGIN, json={"username": user["username"], "password": PASSWORD}), 401)
    assert (await client.post(LOGIN, json={"username": user["username"], "password": NEW_PASSWORD})).status_code == 200
    await thief.aclose()


async def test_changing_the_password_with_an_api_key_signs_out_every_session(client):
    user = await register(client)
    key = (await client.post("/api/v1/auth/keys", json={"name": "ci"}, headers=user["headers"])).json()["key"]

    response = await client.post(PASSWORD_URL, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 204
    assert_problem(await client.post(REFRESH), 401)


async def test_a_wrong_current_password_changes_nothing(client):
    user = await register(client)

    response = await client.post(PASSWORD_URL, json={"current_password": "Not-It-9!x", "new_password": NEW_PASSWORD}, headers=user["headers"])

    assert_problem(response, 401)
    assert (await client.post(REFRESH)).status_code == 200
    assert (await client.post(LOGIN, json={"username": user["username"], "password": PASSWORD})).status_code == 200


@pytest.mark.parametrize(
    ("new_password", "says"),
    [("Password1!", "too easy to guess"), ("short1!", "at least 8"), (PASSWORD, "differ from the current"), ("Bad\x00Pass-99x", "control")],
)
async def test_a_weak_or_unchanged_new_password_is_422_naming_the_field(client, new_password, says):
    user = await register(client)

    body = assert_problem(await client.post(PASSWORD_URL, json={"current_password": PASSWORD, "new_password": new_password}, headers=user["headers"]), 422)

    error = body["errors"][0]
    assert error["loc"][-1] == "new_password" and says in error["msg"].lower(), error
    assert (await client.post(LOGIN, json={"username": user["username"], "password": PASSWORD})).status_code == 200


async def test_guessing_the_current_password_is_limited_like_signing_in(client, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN_ACCOUNT", "3/hour")
    user = await register(client)
    for _ in range(3):
        assert_problem(await client.post(PASSWORD_URL, json={"current_password": "Guess-N0-pe", "new_password": NEW_PASSWORD}, headers=user["headers"]), 401)

    response = await client.post(PASSWORD_URL, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=user["headers"])

    assert_problem(response, 429)
    assert int(response.headers["Retry-After"]) > 0


async def test_closing_the_account_takes_everything_and_its_short_links_answer_404(client, db):
    user = await register(client)
    link = await create_link(client, user, url="https://example.com/secret?token=abc")
    assert (await client.get(short_path(link))).status_code == 302  # cached by the redirect now
    await store_clicks(link, datetime(2026, 11, 30, 10, tzinfo=UTC))
    neighbour_client_user = await register(client)
    neighbours = await create_link(client, neighbour_client_user)

    link_id, owner_id = ids.decode_link_id(link["id"]), ids.decode_user_id(user["id"])
    theirs = or_(and_(DayRollup.scope == LINK_SCOPE, DayRollup.scope_id == link_id), and_(DayRollup.scope == OWNER_SCOPE, DayRollup.scope_id == owner_id))
    assert await db.scalar(select(func.count()).select_from(DayRollup).where(theirs)) >= 2

    response = await client.request("DELETE", ME, json={"password": PASSWORD}, headers=user["headers"])

    assert response.status_code == 204
    assert (await client.get(short_path(link))).status_code == 404
    assert_problem(await client.get(ME, headers=user["headers"]), 401)
    assert_problem(await client.post(LOGIN, json={"username": user["username"], "password": PASSWORD}), 401)
    assert await db.scalar(select(func.count()).select_from(User).where(User.username == user["username"])) == 0
    assert await db.scalar(select(func.count()).select_from(LinkEvent).where(LinkEvent.link_id == link_id)) == 0
    assert await db.scalar(select(func.count()).select_from(DayRollup).where(theirs)) == 0
    # Nobody else's links are touched.
    assert (await client.get(short_path(neighbours))).status_code == 302


async def test_closing_the_account_needs_the_password(client):
    user = await register(client)
    link = await create_link(client, user)

    assert_problem(await client.request("DELETE", ME, json={"password": "Not-It-9!x"}, headers=user["headers"]), 401)
    assert_problem(await client.request("DELETE", ME, headers=user["headers"]), 422)

    assert (await client.get(ME, headers=user["headers"])).status_code == 200
    assert (await client.get(short_path(link))).status_code == 302


async def test_docs_describe_the_account_routes(client):
    paths = (await client.get("/openapi.json")).json()["paths"]

    described = {(path, method) for path, operations in paths.items() for method in operations}

    assert {
        ("/api/v1/auth/password", "post"),
        ("/api/v1/auth/me", "delete"),
        ("/api/v1/auth/sessions", "get"),
        ("/api/v1/auth/sessions/{session_id}", "delete"),
        ("/api/v1/auth/audit", "get"),
    } <= described
    fields = (await client.get("/openapi.json")).json()["components"]["schemas"]["SessionPublic"]["properties"]
    assert set(fields) == {"id", "created_at", "last_used_at", "device", "browser", "ip_prefix", "current"}


async def _events(client, user: dict) -> list[str]:
    return [item["event"] for item in (await client.get("/api/v1/auth/audit?limit=100", headers=user["headers"])).json()["items"]]


async def test_the_audit_log_tells_each_security_event_of_a_session(client, asgi_app):
    user = await register(client)
    stolen = user["refresh_token"]
    assert (await client.post(REFRESH)).status_code == 200  # rotates: `stolen` is an old token now
    guesser = client_at(asgi_app, "198.51.100.99")
    assert_problem(await guesser.post(LOGIN, json={"username": user["username"], "password": "Guess-N0-pe"}), 401)
    assert_problem(await guesser.post(LOGIN, json={"username": "nobody_at_all", "password": "Guess-N0-pe"}), 401)
    assert_problem(await guesser.post(REFRESH, json={"refresh_token": stolen}), 401)  # the thief's copy
    again = await client.post(LOGIN, json={"username": user["username"], "password": PASSWORD})
    headers = {"Authorization": f"Bearer {again.json()['access_token']}"}
    assert (await client.post("/api/v1/auth/logout")).status_code == 204

    events = await _events(client, {"headers": headers})

    assert events == ["signed_out", "signed_in", "refresh_reused", "sign_in_failed", "registered"]
    failed = (await client.get("/api/v1/auth/audit", headers=headers)).json()["items"][3]
    assert failed["ip_prefix"] == "198.51.100.0"
    await guesser.aclose()


async def test_a_token_of_a_session_already_signed_out_is_refused_without_crying_theft(client):
    user = await register(client)
    assert (await client.post("/api/v1/auth/logout")).status_code == 204

    assert_problem(await client.post(REFRESH, json={"refresh_token": user["refresh_token"]}), 401)

    assert "refresh_reused" not in await _events(client, user)


async def test_password_changes_and_revoked_sessions_are_logged(client, asgi_app):
    user = await register(client)
    phone, _ = await _sign_in(asgi_app, user, ip="198.51.100.24", agent=IPHONE_UA)
    phones = next(item for item in (await client.get(SESSIONS, headers=user["headers"])).json()["items"] if item["device"] == "mobile")
    await client.delete(f"{SESSIONS}/{phones['id']}", headers=user["headers"])
    await client.post(PASSWORD_URL, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=user["headers"])

    items = (await client.get("/api/v1/auth/audit", headers=user["headers"])).json()["items"]

    assert [item["event"] for item in items[:2]] == ["password_changed", "session_revoked"]
    assert items[1]["detail"] == phones["id"]
    await phone.aclose()
