"""The one sign-in and registration path (linkapp.services.accounts.sign_in), which the API and so
the web UI's pages take; and the address the UI's states record events with."""

from __future__ import annotations

import pytest
from reflex.constants import RouteVar
from reflex.istate.data import RouterData
from sqlalchemy import update

from linkapp.core.config import settings
from linkapp.core.errors import Conflict, NotAuthenticated, RateLimited, ValidationFailed
from linkapp.core.security import decode_access_token, hash_token
from linkapp.core.times import utcnow
from linkapp.models.token import RefreshToken
from linkapp.services.accounts import sessions, users
from linkapp.services.accounts.sign_in import login_limit_key, sign_in, sign_up
from linkapp.state.auth import AuthState
from tests.factories import PASSWORD, unique_username

IP = "198.51.100.30"
API_PEER = "127.0.0.1"  # where httpx's ASGITransport says the test client connects from
PROXY = "10.0.0.2"
LIMIT_HEADERS = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}


def auth_state(peer: str, forwarded_for: str | None = None) -> AuthState:
    """An AuthState as a socket from `peer` (sending `forwarded_for`) would see it, without a browser."""
    state = AuthState(_reflex_internal_init=True)
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    state.router = RouterData.from_router_data({RouteVar.CLIENT_IP: peer, RouteVar.HEADERS: headers})
    return state


@pytest.fixture
async def username(db) -> str:
    name = unique_username("Signer_")
    await users.register_user(db=db, username=name, password=PASSWORD)
    return name


async def test_sign_in_with_right_password_starts_a_session(db, username):
    signed_in = await sign_in(db=db, ip=IP, username=username.upper(), password=PASSWORD)
    assert signed_in.session.user.username == username
    assert decode_access_token(signed_in.session.access.token) == signed_in.session.public()["id"]
    assert signed_in.session.refresh_token
    assert signed_in.verdict.allowed and signed_in.verdict.remaining < signed_in.verdict.limit


async def test_sign_in_with_wrong_password_is_not_authenticated_and_carries_the_limit(db, username):
    with pytest.raises(NotAuthenticated) as refused:
        await sign_in(db=db, ip=IP, username=username, password=PASSWORD + "x")
    assert LIMIT_HEADERS <= refused.value.headers.keys()
    assert refused.value.headers["WWW-Authenticate"] == "Bearer"


async def test_sign_in_with_unknown_username_is_not_authenticated(db):
    with pytest.raises(NotAuthenticated):
        await sign_in(db=db, ip=IP, username="nobody_here", password=PASSWORD)


async def test_sign_in_over_the_limit_is_refused_even_with_the_right_password(db, username, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN", "2/minute")
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            await sign_in(db=db, ip=IP, username=username, password="Wrong-pass1")
    with pytest.raises(RateLimited) as refused:
        await sign_in(db=db, ip=IP, username=username.lower(), password=PASSWORD)
    assert refused.value.headers["RateLimit-Remaining"] == "0" and refused.value.retry_after >= 1
    # The count is per address and name: another address still gets in.
    assert (await sign_in(db=db, ip="198.51.100.31", username=username, password=PASSWORD)).session.user.username == username


async def _guess_from_many_addresses(db, username: str, guesses: int, addresses: int) -> None:
    """`guesses` wrong passwords for `username`, spread over `addresses` addresses (none over its own limit)."""
    for n in range(guesses):
        with pytest.raises(NotAuthenticated):
            await sign_in(db=db, ip=f"198.51.100.{100 + n % addresses}", username=username, password="Wrong-pass1")


async def test_sign_in_from_many_addresses_is_refused_past_the_account_limit(db, username, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN_ACCOUNT", "50/hour")
    await _guess_from_many_addresses(db, username, guesses=50, addresses=6)
    # The 51st, even with the right password from an address never seen: the name's own limit.
    with pytest.raises(RateLimited) as refused:
        await sign_in(db=db, ip="203.0.113.99", username=username.upper(), password=PASSWORD)
    assert refused.value.retry_after >= 1 and refused.value.headers["RateLimit-Limit"] == "50"
    assert refused.value.headers["RateLimit-Remaining"] == "0"
    # Other names are not slowed.
    other = unique_username("Other_")
    await users.register_user(db=db, username=other, password=PASSWORD)
    assert (await sign_in(db=db, ip="203.0.113.99", username=other, password=PASSWORD)).session.user.username == other


@pytest.mark.parametrize("token_is", ["live", "revoked", "expired"])
async def test_sign_in_with_a_refresh_token_of_the_owner_passes_the_account_limit(db, username, monkeypatch, token_is):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN_ACCOUNT", "3/hour")
    owner = await sign_in(db=db, ip=IP, username=username, password=PASSWORD)
    changes = {"revoked": {"revoked_at": utcnow()}, "expired": {"expires_at": utcnow()}}.get(token_is)
    if changes:
        await db.execute(update(RefreshToken).where(RefreshToken.token_hash == hash_token(owner.session.refresh_token)).values(**changes))
        await db.commit()
    await _guess_from_many_addresses(db, username, guesses=2, addresses=2)
    with pytest.raises(RateLimited):
        await sign_in(db=db, ip="203.0.113.99", username=username, password=PASSWORD)

    again = await sign_in(db=db, ip="203.0.113.99", username=username.upper(), password=PASSWORD, refresh_token=owner.session.refresh_token)

    assert again.session.user.username == username
    # The per-address limit still holds for the owner's browser.
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN", "1/minute")
    with pytest.raises(RateLimited):
        await sign_in(db=db, ip="203.0.113.99", username=username, password=PASSWORD, refresh_token=owner.session.refresh_token)


async def test_sign_in_with_a_refresh_token_of_another_user_is_counted(db, username, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN_ACCOUNT", "2/hour")
    guesser = await users.register_user(db=db, username=unique_username("Guesser_"), password=PASSWORD)
    theirs = (await sessions.start_session(db=db, user=guesser)).refresh_token
    for n in range(2):
        with pytest.raises(NotAuthenticated):
            await sign_in(db=db, ip=f"198.51.100.{n}", username=username, password="Wrong-pass1", refresh_token=theirs)
    for token in (theirs, "made-up-token", ""):
        with pytest.raises(RateLimited):
            await sign_in(db=db, ip="203.0.113.99", username=username, password=PASSWORD, refresh_token=token)


async def test_sign_in_from_one_ipv6_64_is_one_client(db, username, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN", "2/minute")
    for address in ("2001:db8:5:6::1", "2001:db8:5:6:ffff:0:0:2"):
        with pytest.raises(NotAuthenticated):
            await sign_in(db=db, ip=address, username=username, password="Wrong-pass1")
    with pytest.raises(RateLimited):
        await sign_in(db=db, ip="2001:db8:5:6:abcd::3", username=username, password=PASSWORD)
    assert (await sign_in(db=db, ip="2001:db8:5:7::1", username=username, password=PASSWORD)).session.user.username == username


async def test_sign_up_from_one_ipv6_64_is_one_client(db, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_REGISTER", "1/minute")
    await sign_up(db=db, ip="2001:db8:5:6::1", username=unique_username(), password=PASSWORD)
    with pytest.raises(RateLimited):
        await sign_up(db=db, ip="2001:db8:5:6::2", username=unique_username(), password=PASSWORD)
    assert (await sign_up(db=db, ip="2001:db8:5:7::1", username=unique_username(), password=PASSWORD)).verdict.allowed


def test_login_limit_key_is_case_blind_bounded_and_encodable():
    assert login_limit_key("Alice_01") == login_limit_key("ALICE_01") == "alice_01"
    assert len(login_limit_key("a" * 10_000)) == 64
    assert login_limit_key("bob\ud800").encode("utf-8") == b"bob?"


async def test_sign_in_with_a_lone_surrogate_username_is_not_authenticated(db):
    with pytest.raises(NotAuthenticated):
        await sign_in(db=db, ip=IP, username="bob\ud800", password=PASSWORD)


async def test_sign_up_creates_the_account_and_starts_a_session(db):
    name = unique_username("Newcomer_")
    signed_in = await sign_up(db=db, ip=IP, username=name, password=PASSWORD)
    assert signed_in.session.user.username == name and signed_in.verdict.allowed
    assert (await sign_in(db=db, ip=IP, username=name, password=PASSWORD)).session.user.id == signed_in.session.user.id


async def test_sign_up_refusals_carry_the_limit(db, username):
    with pytest.raises(Conflict) as taken:
        await sign_up(db=db, ip=IP, username=username.lower(), password=PASSWORD)
    with pytest.raises(ValidationFailed) as weak:
        await sign_up(db=db, ip=IP, username=unique_username(), password="short")
    assert LIMIT_HEADERS <= taken.value.headers.keys() and LIMIT_HEADERS <= weak.value.headers.keys()


async def test_sign_up_over_the_limit_is_refused_per_address(db, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_REGISTER", "1/minute")
    await sign_up(db=db, ip=IP, username=unique_username(), password=PASSWORD)
    name = unique_username()
    with pytest.raises(RateLimited):
        await sign_up(db=db, ip=IP, username=name, password=PASSWORD)
    assert (await sign_up(db=db, ip="198.51.100.31", username=name, password=PASSWORD)).session.user.username == name


def test_web_ui_address_ignores_forwarded_for_from_an_untrusted_peer(monkeypatch):
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", [])
    assert auth_state(PROXY, "203.0.113.5")._client_ip() == PROXY
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", [PROXY])
    assert auth_state("198.51.100.7", "203.0.113.5")._client_ip() == "198.51.100.7"


def test_web_ui_address_believes_forwarded_for_from_a_trusted_proxy(monkeypatch):
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["10.0.0.0/8"])
    # The client wrote the first hop itself; the proxy appended the real one.
    assert auth_state(PROXY, "1.1.1.1, 203.0.113.5")._client_ip() == "203.0.113.5"
    assert auth_state("::ffff:10.0.0.2", "203.0.113.5, 10.0.0.3")._client_ip() == "203.0.113.5"
    assert auth_state(PROXY)._client_ip() == PROXY


def test_web_ui_address_without_a_peer_is_unknown():
    assert auth_state("")._client_ip() == "unknown"
