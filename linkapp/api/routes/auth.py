"""/api/v1/auth: register, sign in, rotate the session, sign out, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Body, Request, Response, status
from pydantic import BaseModel

from linkapp.api.deps import ClientIp, CurrentUser, Db
from linkapp.core.config import settings
from linkapp.models.text import SafeText
from linkapp.models.user import Credentials, TokenPublic, UserPublic
from linkapp.services.accounts import sessions, users
from linkapp.services.accounts.sign_in import SignedIn, sign_in, sign_up

router = APIRouter(prefix="/auth", tags=["auth"])
COOKIE = "refresh_token"
COOKIE_PATH = "/api/v1/auth"


class RefreshIn(BaseModel):
    refresh_token: SafeText | None = None


class LoginIn(Credentials, RefreshIn):
    """Credentials, and the refresh token a client that signed in before holds (else its cookie)."""


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


def _refresh_token(request: Request, body: RefreshIn | None) -> str:
    # The body wins when both are sent.
    return (body.refresh_token if body and body.refresh_token else None) or request.cookies.get(COOKIE, "")


def _signed_in(response: Response, signed_in: SignedIn) -> dict:
    # The limit's headers go on every answer; a refusal carries them on its error.
    response.headers.update(signed_in.verdict.headers())
    _set_refresh_cookie(response, signed_in.session.refresh_token)
    return signed_in.session.public()


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=TokenPublic)
async def register(credentials: Credentials, response: Response, db: Db, ip: ClientIp) -> dict:
    return _signed_in(response, await sign_up(db=db, ip=ip, username=credentials.username, password=credentials.password))


@router.post("/login", response_model=TokenPublic)
async def login(credentials: LoginIn, request: Request, response: Response, db: Db, ip: ClientIp) -> dict:
    # A refresh token of the account's own spares the sign-in its per-account limit.
    refresh_token = _refresh_token(request, credentials)
    return _signed_in(response, await sign_in(db=db, ip=ip, username=credentials.username, password=credentials.password, refresh_token=refresh_token))


@router.post("/refresh", response_model=TokenPublic)
async def refresh(request: Request, response: Response, db: Db, body: RefreshIn | None = Body(None)) -> dict:
    session = await sessions.refresh_session(db=db, refresh_token=_refresh_token(request, body))
    _set_refresh_cookie(response, session.refresh_token)
    return session.public()


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, db: Db, body: RefreshIn | None = Body(None)) -> Response:
    await sessions.end_session(db=db, refresh_token=_refresh_token(request, body))
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=settings.secure_cookies)
    return response


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser) -> dict:
    return users.public_user(user)
