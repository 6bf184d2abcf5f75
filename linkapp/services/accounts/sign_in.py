"""Signing in and registering: the one path the REST API and the web UI both take.

Each counts the attempt against its rate limits, checks or creates the account and starts a
session. The limit's verdict comes back with the session, and rides on every error raised after
it was counted, so the API can send its RateLimit-* headers on refusals too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ratelimit
from linkapp.core.config import settings
from linkapp.core.errors import DomainError, NotAuthenticated
from linkapp.core.net import client_key
from linkapp.services.accounts import audit, sessions, users
from linkapp.services.accounts.sessions import Client, Session

# Real names are at most 20 characters; the cut keeps a made-up megabyte of name out of the counters.
MAX_LIMIT_KEY = 64


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session, and the rate limit's count that let it through."""

    session: Session
    verdict: ratelimit.Verdict


def login_limit_key(username: str) -> str:
    """The username as a rate-limit key: case-blind, bounded, and encodable even if the JSON held lone surrogates."""
    return username.lower()[:MAX_LIMIT_KEY].encode("utf-8", "replace").decode("utf-8")


def _client(ip: str, client: Client | None) -> Client:
    return Client(ip=ip, device=client.device, browser=client.browser) if client else Client(ip=ip)


async def _note_failure(db: AsyncSession, username: str, ip: str) -> None:
    """A wrong password for a real account goes in its owner's log; unknown names go nowhere."""
    user = None if users.username_problems(username) else await users.get_user_by_username(db=db, username=username)
    if user is not None:
        audit.record(db, user_id=user.id, event="sign_in_failed", ip=ip)
        await db.commit()


@contextmanager
def _limit_headers_on_errors(verdict: ratelimit.Verdict) -> Iterator[None]:
    # A refusal after the count still tells the client how much of the limit is left.
    try:
        yield
    except DomainError as exc:
        exc.headers = {**verdict.headers(), **exc.headers}
        raise


async def sign_in(
    *, db: AsyncSession, ip: str, username: str, password: str, refresh_token: str | None = None, client: Client | None = None
) -> SignedIn:
    """Sign in with a username and password, counted against the login limits.

    RATE_LIMIT_LOGIN counts attempts per client (an IPv6 /64 is one) and name; RATE_LIMIT_LOGIN_ACCOUNT
    counts them per name across every client, so many addresses guess no faster than a few. Both
    count every attempt, right password or not, before it is checked: a count taken only after a
    failure lets concurrent guesses all pass the check first. An attempt that carries a refresh
    token issued to this account comes from a browser its owner signed in from, and is not counted
    per name: guessers cannot lock the owner out there.

    Args:
        db: The database session.
        ip: The client's address, as `linkapp.core.net.client_ip` worked it out.
        username: The name as typed, in any case.
        password: The password as typed.
        refresh_token: The refresh token the client holds, if any (a cookie, as `/auth/refresh` reads it).
        client: The device and browser the session is for (its address is `ip`).

    Returns:
        The new session and the verdict of the limit closest to refusing.

    Raises:
        RateLimited: Too many attempts for this client and name, or for this name, right password
            or not.
        NotAuthenticated: Unknown name or wrong password (one error for both); it carries the
            limit's headers.
    """
    name = login_limit_key(username)
    verdict = await ratelimit.enforce(settings.RATE_LIMIT_LOGIN, "login", client_key(ip), name)
    if not await sessions.issued_to(db=db, refresh_token=refresh_token, username=username):
        verdict = ratelimit.tightest(verdict, await ratelimit.enforce(settings.RATE_LIMIT_LOGIN_ACCOUNT, "login-account", name))
    client = _client(ip, client)
    with _limit_headers_on_errors(verdict):
        try:
            user = await users.authenticate(db=db, username=username, password=password)
        except NotAuthenticated:
            await _note_failure(db, username, ip)
            raise
        audit.record(db, user_id=user.id, event="signed_in", ip=ip)
        return SignedIn(session=await sessions.start_session(db=db, user=user, client=client), verdict=verdict)


async def sign_up(*, db: AsyncSession, ip: str, username: str, password: str, client: Client | None = None) -> SignedIn:
    """Register an account and sign it in, counted against RATE_LIMIT_REGISTER per client (an IPv6 /64 is one).

    Args:
        db: The database session.
        ip: The client's address, as `linkapp.core.net.client_ip` worked it out.
        username: The new name.
        password: The new password.
        client: The device and browser the session is for (its address is `ip`).

    Returns:
        The new account's first session and the limit's verdict.

    Raises:
        RateLimited: Too many registrations from this address.
        ValidationFailed: The name or password breaks a rule; it carries the limit's headers.
        Conflict: The name is taken in any case; it carries the limit's headers.
    """
    verdict = await ratelimit.enforce(settings.RATE_LIMIT_REGISTER, "register", client_key(ip))
    with _limit_headers_on_errors(verdict):
        user = await users.register_user(db=db, username=username, password=password)
        audit.record(db, user_id=user.id, event="registered", ip=ip)
        return SignedIn(session=await sessions.start_session(db=db, user=user, client=_client(ip, client)), verdict=verdict)
