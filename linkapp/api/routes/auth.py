"""/api/v1/auth: register, sign in, rotate the session, sign out, who am I."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Body, Request, Response, status
from pydantic import BaseModel

from linkapp.api.deps import ClientIp, CurrentUser, Db
from linkapp.core import ratelimit
from linkapp.core.config import settings
from linkapp.core.errors import DomainError
from linkapp.models.user import Credentials, TokenPublic, UserPublic
from linkapp.services.accounts import sessions as auth
from linkapp.services.accounts import users

router = APIRouter(prefix="/auth", tags=["auth"])
COOKIE = "refresh_token"
COOKIE_PATH = "/api/v1/auth"


class RefreshIn(BaseModel):
    refresh_token: str | None = None


def _set_refresh_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.REFRESH_TOKEN_EXPIRE_DAYS * 86400,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def _limit_key(username: str) -> str:
    """The username as a rate-limit key: bounded, and encodable even if the JSON held lone surrogates."""
    return username.lower()[:64].encode("utf-8", "replace").decode("utf-8")


@contextmanager
def _rate_limit_headers(response: Response, verdict: ratelimit.Verdict) -> Iterator[None]:
    """Send the limit's headers on every answer of a limited route, refusals included."""
    response.headers.update(verdict.headers())
    try:
        yield
    except DomainError as exc:
        exc.headers = {**verdict.headers(), **exc.headers}
        raise


def _refresh_token(request: Request, body: RefreshIn | None) -> str:
    # The body wins when both are sent.
    return (body.refresh_token if body and body.refresh_token else None) or request.cookies.get(COOKIE, "")


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=TokenPublic)
async def register(credentials: Credentials, response: Response, db: Db, ip: ClientIp) -> dict:
    verdict = await ratelimit.enforce(settings.RATE_LIMIT_REGISTER, "register", ip)
    with _rate_limit_headers(response, verdict):
        user = await users.register_user(db=db, username=credentials.username, password=credentials.password)
    session = await auth.start_session(db=db, user=user)
    _set_refresh_cookie(response, session.refresh_token)
    return session.public()


@router.post("/login", response_model=TokenPublic)
async def login(credentials: Credentials, response: Response, db: Db, ip: ClientIp) -> dict:
    verdict = await ratelimit.enforce(settings.RATE_LIMIT_LOGIN, "login", ip, _limit_key(credentials.username))
    with _rate_limit_headers(response, verdict):
        user = await users.authenticate(db=db, username=credentials.username, password=credentials.password)
    session = await auth.start_session(db=db, user=user)
    _set_refresh_cookie(response, session.refresh_token)
    return session.public()


@router.post("/refresh", response_model=TokenPublic)
async def refresh(request: Request, response: Response, db: Db, body: RefreshIn | None = Body(None)) -> dict:
    session = await auth.refresh_session(db=db, refresh_token=_refresh_token(request, body))
    _set_refresh_cookie(response, session.refresh_token)
    return session.public()


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, db: Db, body: RefreshIn | None = Body(None)) -> Response:
    await auth.end_session(db=db, refresh_token=_refresh_token(request, body))
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=settings.secure_cookies)
    return response


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser) -> dict:
    return users.public_user(user)
