"""POST /api/v1/auth/register and /login: account rules, credentials, rate limits, client address.

Sessions (refresh, logout, /me) are in test_auth_sessions.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from linkapp.core.config import settings
from linkapp.core.security import hash_password
from linkapp.models.user import User
from linkapp.services.accounts import users
from tests.factories import PASSWORD, register, unique_username

REGISTER, LOGIN, ME = "/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/me"
PROBLEM = "application/problem+json"
LONG_PASSWORD = PASSWORD + "x" * 86  # 100 characters, past bcrypt's 72 bytes


async def assert_new_session(client, response: httpx.Response, user: dict) -> None:
    """`response` opened a new session for `user`: token shape, a new refresh cookie, a working token."""
    body = response.json()
    assert body["token_type"] == "bearer" and body["username"] == user["username"] and body["id"] == user["id"]
    assert body["expires_in"] == settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60
    cookie = refresh_cookie(response)
    assert cookie["value"] != user["refresh_token"]
    assert cookie["httponly"] is True and cookie["samesite"].lower() == "lax" and cookie["path"] == "/api/v1/auth"
    me = await client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == user["username"]


def refresh_cookie(response: httpx.Response) -> dict[str, str | bool]:
    """The refresh cookie's value (under "value") and attributes, names lower-cased."""
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = first.partition("=")
        if name == "refresh_token":
            cookie: dict[str, str | bool] = {"value": value.strip('"')}
            for attribute in attributes:
                key, sep, val = attribute.partition("=")
                cookie[key.lower()] = val if sep else True
            return cookie
    raise AssertionError(f"no refresh_token cookie in {response.headers.get_list('set-cookie')}")


def client_at(asgi_app, ip: str) -> httpx.AsyncClient:
    """Another client of the same app, connecting from `ip`."""
    transport = httpx.ASGITransport(app=asgi_app, raise_app_exceptions=False, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def assert_rate_limit_headers(response: httpx.Response, limit: int) -> None:
    assert response.headers["RateLimit-Limit"] == str(limit)
    assert 0 <= int(response.headers["RateLimit-Remaining"]) < limit
    assert int(response.headers["RateLimit-Reset"]) >= 1


async def test_register_returns_tokens_and_a_refresh_cookie(client):
    response = await client.post(REGISTER, json={"username": "Alice_01", "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    assert {"access_token", "token_type", "username", "id", "expires_in"} <= body.keys()
    assert body["token_type"] == "bearer"
    assert body["username"] == "Alice_01"
    assert isinstance(body["id"], str) and not body["id"].isdigit()
    assert body["expires_in"] == settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60
    assert "password" not in response.text.lower()
    cookie = refresh_cookie(response)
    assert len(cookie["value"]) >= 43
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/api/v1/auth"
    assert cookie["max-age"] == str(settings.REFRESH_TOKEN_EXPIRE_DAYS * 86400)
    assert "secure" not in cookie  # HOST_URL is http://testserver
    me = await client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == body["id"]


async def test_register_marks_cookie_secure_when_host_url_is_https(client, monkeypatch):
    monkeypatch.setattr(settings, "HOST_URL", "https://sho.rt")
    response = await client.post(REGISTER, json={"username": unique_username(), "password": PASSWORD})
    assert response.status_code == 201
    assert refresh_cookie(response)["secure"] is True


async def test_register_stores_username_as_given(client):
    user = await register(client, username="MiXeD_Case9")
    assert user["username"] == "MiXeD_Case9"
    assert (await client.get(ME, headers=user["headers"])).json()["username"] == "MiXeD_Case9"


@pytest.mark.parametrize("second", ["Alice", "alice", "ALICE"])
async def test_register_refuses_username_taken_in_any_case(client, second):
    await register(client, username="alice")
    response = await client.post(REGISTER, json={"username": second, "password": PASSWORD})
    assert "taken" in assert_problem(response, 409)["detail"]
    assert "set-cookie" not in response.headers


async def test_register_concurrently_with_one_name_creates_one_account(client):
    responses = await asyncio.gather(
        *(client.post(REGISTER, json={"username": name, "password": PASSWORD}) for name in ("Racer", "racer", "RACER"))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409]
    assert (await client.post(LOGIN, json={"username": "racer", "password": PASSWORD})).status_code == 200


@pytest.mark.parametrize("username", ["abc", "a" * 20, "snake_case_1", "007"])
async def test_register_accepts_valid_usernames(client, username):
    assert (await register(client, username=username))["username"] == username


@pytest.mark.parametrize("username", ["ab", "a" * 21, "with space", "dash-name", "émile", "bob@home", ""])
async def test_register_refuses_invalid_username(client, username):
    response = await client.post(REGISTER, json={"username": username, "password": PASSWORD})
    body = assert_problem(response, 422)
    assert body["errors"] and all(error["loc"] == ["body", "username"] and error["msg"] for error in body["errors"])


@pytest.mark.parametrize(
    "password",
    ["Aa1!aaa", "CORR3CT-HORSE!", "corr3ct-horse!", "Correct-Horse!", "Corr3ctHorse", "P@ssw0rd", "Aa1!" + "x" * 125, "Summer2024!", "aaaaaaA1!"],
    ids=["too-short", "no-lower", "no-upper", "no-digit", "no-symbol", "common", "too-long", "like-a-common-one", "repeats"],
)
async def test_register_refuses_weak_password(client, password):
    username = unique_username()
    response = await client.post(REGISTER, json={"username": username, "password": password})
    body = assert_problem(response, 422)
    assert body["errors"] and all(error["loc"] == ["body", "password"] and error["msg"] for error in body["errors"])
    # Nothing was created: the name is still free.
    assert (await client.post(REGISTER, json={"username": username, "password": PASSWORD})).status_code == 201


# No 8 characters are hard enough to guess for zxcvbn: 9 random ones are the shortest that pass.
@pytest.mark.parametrize("password", ["Xq9#vLm2k", PASSWORD + "x" * 114], ids=["9-chars", "128-chars"])
async def test_register_accepts_password_at_length_limits(client, password):
    user = await register(client, password=password)
    response = await client.post(LOGIN, json={"username": user["username"], "password": password})
    assert response.status_code == 200


@pytest.mark.parametrize("body", [{}, {"username": "bob_1"}, {"password": PASSWORD}, {"username": 5, "password": PASSWORD}])
async def test_register_refuses_malformed_body(client, body):
    problem = assert_problem(await client.post(REGISTER, json=body), 422)
    assert problem["errors"] and all(isinstance(e["loc"], list) and e["msg"] for e in problem["errors"])


async def test_register_reports_every_broken_field(client):
    problem = assert_problem(await client.post(REGISTER, json={"username": "x", "password": "weak"}), 422)
    assert {tuple(error["loc"]) for error in problem["errors"]} == {("body", "username"), ("body", "password")}


async def test_register_refuses_password_with_a_lone_surrogate(client):
    # Valid JSON, but not text that can be hashed: a 422, not a 500.
    raw = '{"username": "%s", "password": "Aa1!\\ud800xyz"}' % unique_username()
    response = await client.post(REGISTER, content=raw, headers={"Content-Type": "application/json"})
    assert assert_problem(response, 422)["errors"][0]["loc"] == ["body", "password"]


async def test_login_with_lone_surrogates_is_422(client):
    # Valid JSON, but not text: refused as it is read, like every text field (not a 500).
    user = await register(client)
    for raw, field in (
        ('{"username": "b\\ud800b", "password": "Aa1!xyzw"}', "username"),
        ('{"username": "%s", "password": "Aa1!\\udfffxyz"}' % user["username"], "password"),
    ):
        response = await client.post(LOGIN, content=raw, headers={"Content-Type": "application/json"})
        assert assert_problem(response, 422)["errors"][0]["loc"] == ["body", field]


async def test_register_with_summer2024_says_it_is_too_easy_to_guess(client):
    username = unique_username()
    response = await client.post(REGISTER, json={"username": username, "password": "Summer2024!"})
    problem = assert_problem(response, 422)
    message = "This password is too easy to guess. This is similar to a commonly used password. Add another word or two. Uncommon words are better."
    assert problem["errors"] == [{"loc": ["body", "password"], "msg": message}]
    assert problem["detail"] == message
    assert (await client.post(REGISTER, json={"username": username, "password": PASSWORD})).status_code == 201


async def test_register_with_the_username_and_1_bang_is_422(client):
    response = await client.post(REGISTER, json={"username": "Zorblax_quimby", "password": "Zorblax_quimby1!"})
    assert "built on your username" in assert_problem(response, 422)["errors"][0]["msg"]
    # The same password is fine for someone whose name it is not.
    assert (await register(client, username="vexmor_tandil", password="Zorblax_quimby1!"))["username"] == "vexmor_tandil"


async def test_login_with_a_weak_password_set_before_the_rule_still_works(client, db):
    # The rule is for new passwords: an account made earlier keeps signing in with its own.
    db.add(User(username="old_timer", username_key="old_timer", password_hash=hash_password("Summer2024!")))
    await db.commit()
    response = await client.post(LOGIN, json={"username": "old_timer", "password": "Summer2024!"})
    assert response.status_code == 200, response.text
    assert response.json()["username"] == "old_timer"


async def test_login_returns_tokens_and_a_refresh_cookie(client):
    user = await register(client)
    response = await client.post(LOGIN, json={"username": user["username"], "password": PASSWORD})
    assert response.status_code == 200
    await assert_new_session(client, response, user)


async def test_login_with_100_character_password_succeeds(client):
    user = await register(client, password=LONG_PASSWORD)
    response = await client.post(LOGIN, json={"username": user["username"], "password": LONG_PASSWORD})
    assert response.status_code == 200


async def test_login_refuses_password_differing_only_after_byte_72(client):
    user = await register(client, password=LONG_PASSWORD)
    for guess in (LONG_PASSWORD[:72] + "y" * 28, LONG_PASSWORD[:72]):
        response = await client.post(LOGIN, json={"username": user["username"], "password": guess})
        assert_problem(response, 401)


async def test_login_answers_unknown_user_and_wrong_password_alike(client):
    user = await register(client)
    wrong = await client.post(LOGIN, json={"username": user["username"], "password": PASSWORD + "x"})
    unknown = await client.post(LOGIN, json={"username": "nobody_here", "password": PASSWORD})
    assert assert_problem(wrong, 401) == assert_problem(unknown, 401)
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers


async def test_login_checks_a_password_hash_for_unknown_users(client, monkeypatch):
    # Answering an unknown name without hashing would reveal, by timing, which names exist.
    checked: list[str] = []
    real = users.verify_password
    monkeypatch.setattr(users, "verify_password", lambda password, stored: checked.append(stored) or real(password, stored))
    assert (await client.post(LOGIN, json={"username": "nobody_here", "password": PASSWORD})).status_code == 401
    assert len(checked) == 1 and checked[0].startswith("$")


async def test_login_refuses_malformed_body(client):
    assert_problem(await client.post(LOGIN, json={"username": "bob"}), 422)


async def test_login_over_the_limit_is_refused_with_429(client, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN", "3/minute")
    user = await register(client)
    for _ in range(3):
        response = await client.post(LOGIN, json={"username": user["username"], "password": "Wrong-pass1"})
        assert response.status_code == 401
        assert_rate_limit_headers(response, 3)
    # Even the right password is refused now.
    response = await client.post(LOGIN, json={"username": user["username"], "password": PASSWORD})
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["RateLimit-Remaining"] == "0"
    assert_rate_limit_headers(response, 3)
    assert "set-cookie" not in response.headers


async def test_login_limit_counts_ip_and_username_together(client, asgi_app, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN", "2/minute")
    alice, bob = await register(client), await register(client)
    for _ in range(2):
        await client.post(LOGIN, json={"username": alice["username"], "password": "Wrong-pass1"})
    upper = await client.post(LOGIN, json={"username": alice["username"].upper(), "password": PASSWORD})
    assert upper.status_code == 429
    # Another name from the same address, and the same name from another address, still get in.
    assert (await client.post(LOGIN, json={"username": bob["username"], "password": PASSWORD})).status_code == 200
    async with client_at(asgi_app, "198.51.100.20") as elsewhere:
        assert (await elsewhere.post(LOGIN, json={"username": alice["username"], "password": PASSWORD})).status_code == 200


async def test_register_over_the_limit_is_refused_per_ip(client, asgi_app, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_REGISTER", "2/minute")
    for _ in range(2):
        response = await client.post(REGISTER, json={"username": unique_username(), "password": PASSWORD})
        assert response.status_code == 201
        assert_rate_limit_headers(response, 2)
    username = unique_username()
    response = await client.post(REGISTER, json={"username": username, "password": PASSWORD})
    assert_problem(response, 429)
    assert int(response.headers["Retry-After"]) >= 1
    async with client_at(asgi_app, "198.51.100.21") as elsewhere:
        assert (await elsewhere.post(REGISTER, json={"username": username, "password": PASSWORD})).status_code == 201


async def _login_as(client, username: str, forwarded_for: list[str]) -> int:
    headers = [("X-Forwarded-For", hop) for hop in forwarded_for]
    response = await client.post(LOGIN, json={"username": username, "password": "Wrong-pass1"}, headers=headers)
    return response.status_code


async def test_login_limit_ignores_forwarded_for_from_untrusted_peer(client, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN", "1/minute")
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", [])
    assert await _login_as(client, "victim", ["203.0.113.5"]) == 401
    # A client that makes up a new address on every attempt is still the same client.
    assert await _login_as(client, "victim", ["203.0.113.6"]) == 429


async def test_login_limit_uses_forwarded_for_from_trusted_proxy(client, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN", "1/minute")
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])
    assert await _login_as(client, "victim", ["203.0.113.5"]) == 401
    assert await _login_as(client, "victim", ["203.0.113.5"]) == 429
    # Behind the proxy, another client is another address.
    assert await _login_as(client, "victim", ["203.0.113.6"]) == 401


async def test_login_limit_ignores_forwarded_for_lines_the_client_sent(client, monkeypatch):
    # The client sends its own X-Forwarded-For line; the proxy adds one more with the real address.
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN", "1/minute")
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])
    assert await _login_as(client, "victim", ["198.51.100.1", "203.0.113.5"]) == 401
    assert await _login_as(client, "victim", ["198.51.100.2", "203.0.113.5"]) == 429


async def test_register_created_at_is_now_in_utc(client):
    before = datetime.now(UTC)
    user = await register(client)
    created = datetime.fromisoformat((await client.get(ME, headers=user["headers"])).json()["created_at"])
    assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0
    assert before.replace(microsecond=0) <= created <= datetime.now(UTC)


async def test_login_from_many_addresses_is_refused_past_the_account_limit(client, asgi_app, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN_ACCOUNT", "3/hour")
    owner, guesser = await register(client), await register(client)
    for n in range(3):
        async with client_at(asgi_app, f"198.51.100.{40 + n}") as attacker:
            response = await attacker.post(LOGIN, json={"username": owner["username"], "password": "Wrong-pass1"})
            assert response.status_code == 401
    async with client_at(asgi_app, "198.51.100.50") as fresh:
        refused = await fresh.post(LOGIN, json={"username": owner["username"], "password": PASSWORD})
        # Another user's refresh token, in the cookie or the body, does not spare the owner's name.
        fresh.cookies.set("refresh_token", guesser["refresh_token"], path="/api/v1/auth")
        with_cookie = await fresh.post(LOGIN, json={"username": owner["username"], "password": PASSWORD})
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1 and refused.headers["RateLimit-Limit"] == "3"
    assert refused.headers["RateLimit-Remaining"] == "0" and "set-cookie" not in refused.headers
    assert_problem(with_cookie, 429)
    async with client_at(asgi_app, "198.51.100.51") as fresh:
        body = {"username": owner["username"], "password": PASSWORD, "refresh_token": guesser["refresh_token"]}
        assert_problem(await fresh.post(LOGIN, json=body), 429)


@pytest.mark.parametrize("sent_in", ["cookie", "body"])
async def test_login_with_the_owners_refresh_token_passes_the_account_limit(client, asgi_app, monkeypatch, sent_in):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN_ACCOUNT", "2/hour")
    owner = await register(client)
    # Signed out since: a token of theirs still shows a browser they signed in from.
    assert (await client.post("/api/v1/auth/logout", json={"refresh_token": owner["refresh_token"]})).status_code == 204
    for n in range(2):
        async with client_at(asgi_app, f"198.51.100.{60 + n}") as attacker:
            await attacker.post(LOGIN, json={"username": owner["username"], "password": "Wrong-pass1"})
    async with client_at(asgi_app, "198.51.100.70") as browser:
        assert (await browser.post(LOGIN, json={"username": owner["username"], "password": PASSWORD})).status_code == 429
        body = {"username": owner["username"].upper(), "password": PASSWORD}
        if sent_in == "cookie":
            browser.cookies.set("refresh_token", owner["refresh_token"], path="/api/v1/auth")
        else:
            body["refresh_token"] = owner["refresh_token"]
        response = await browser.post(LOGIN, json=body)
    assert response.status_code == 200, response.text
    await assert_new_session(client, response, owner)


async def test_login_limit_counts_an_ipv6_64_as_one_client(client, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN", "1/minute")
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])
    assert await _login_as(client, "victim", ["2001:db8:7:8::1"]) == 401
    # Any other address in the same /64 is the same client.
    assert await _login_as(client, "victim", ["2001:db8:7:8:ffff:ffff:ffff:fffe"]) == 429
    assert await _login_as(client, "victim", ["2001:db8:7:9::1"]) == 401


async def test_register_limit_counts_an_ipv6_64_as_one_client(client, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_REGISTER", "1/minute")
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])

    async def register_from(address: str) -> int:
        body = {"username": unique_username(), "password": PASSWORD}
        return (await client.post(REGISTER, json=body, headers={"X-Forwarded-For": address})).status_code

    assert await register_from("2001:db8:7:8::1") == 201
    assert await register_from("2001:db8:7:8::2") == 429
    assert await register_from("2001:db8:7:9::1") == 201
