"""/api/v1/auth: register, sign in, rotate the session, sign out, who am I, and the account's
password, sessions and closing.

The web UI signs in, renews and signs out through these routes too (from the page, with fetch):
its long-lived credential is the HttpOnly refresh cookie, never a value a script can read.
"""

from __future__ import annotations

from fastapi import APIRouter, Body, Request, Response, status
from pydantic import BaseModel

from linkapp.api.deps import ClientInfo, CurrentSession, CurrentUser, Db, PageParams
from linkapp.api.locations import created, set_location
from linkapp.api.origin import check_cookie_origin
from linkapp.core.config import settings
from linkapp.models.text import SafeText
from linkapp.models.token import SessionsPublic
from linkapp.models.user import Credentials, TokenPublic, UserPublic
from linkapp.services.accounts import passwords, sessions, users
from linkapp.services.accounts.sign_in import SignedIn, sign_in, sign_up
from linkapp.services.links.closing import close_account

router = APIRouter(prefix="/auth", tags=["auth"])
COOKIE = "refresh_token"
COOKIE_PATH = "/api/v1/auth"


class RefreshIn(BaseModel):
    refresh_token: SafeText | None = None


class LoginIn(Credentials, RefreshIn):
    """Credentials, and the refresh token a client that signed in before holds (else its cookie)."""


class PasswordChange(BaseModel):
    current_password: SafeText
    new_password: SafeText


class PasswordIn(BaseModel):
    password: SafeText


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


def _clear_refresh_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=settings.secure_cookies)


def _refresh_token(request: Request, body: RefreshIn | None) -> str:
    """The body's token, else the cookie's; a cookie is sent by the browser on its own, so a
    request it authenticates must come from one of our pages (CSRF)."""
    if body and body.refresh_token:
        return body.refresh_token
    token = request.cookies.get(COOKIE, "")
    if token:
        check_cookie_origin(request)
    return token


def _signed_in(response: Response, signed_in: SignedIn) -> dict:
    # The limit's headers go on every answer; a refusal carries them on its error.
    response.headers.update(signed_in.verdict.headers())
    _set_refresh_cookie(response, signed_in.session.refresh_token)
    return signed_in.session.public()


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=TokenPublic, responses=created("the new account (`/auth/me`)"))
async def register(credentials: Credentials, request: Request, response: Response, db: Db, client: ClientInfo) -> dict:
    signed_in = await sign_up(db=db, ip=client.ip, username=credentials.username, password=credentials.password, client=client)
    set_location(request, response, "me")
    return _signed_in(response, signed_in)


@router.post("/login", response_model=TokenPublic)
async def login(credentials: LoginIn, request: Request, response: Response, db: Db, client: ClientInfo) -> dict:
    # A refresh token of the account's own spares the sign-in its per-account limit; it only
    # vouches here, it authenticates nothing, so no Origin check.
    refresh_token = (credentials.refresh_token or None) or request.cookies.get(COOKIE, "")
    return _signed_in(
        response,
        await sign_in(db=db, ip=client.ip, username=credentials.username, password=credentials.password, refresh_token=refresh_token, client=client),
    )


@router.post("/refresh", response_model=TokenPublic)
async def refresh(request: Request, response: Response, db: Db, client: ClientInfo, body: RefreshIn | None = Body(None)) -> dict:
    session = await sessions.refresh_session(db=db, refresh_token=_refresh_token(request, body), client=client)
    _set_refresh_cookie(response, session.refresh_token)
    return session.public()


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, db: Db, client: ClientInfo, body: RefreshIn | None = Body(None)) -> Response:
    await sessions.end_session(db=db, refresh_token=_refresh_token(request, body), client=client)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _clear_refresh_cookie(response)
    return response


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser) -> dict:
    return users.public_user(user)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def close(body: PasswordIn, user: CurrentUser, db: Db) -> Response:
    """Close the account: links, clicks, API keys and sessions go; its short links answer 404."""
    await close_account(db=db, user=user, password=body.password)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _clear_refresh_cookie(response)
    return response


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(body: PasswordChange, user: CurrentUser, db: Db, session: CurrentSession, client: ClientInfo) -> Response:
    """Change the password; every other session is signed out, API keys keep working."""
    await passwords.change_password(
        db=db, user=user, current_password=body.current_password, new_password=body.new_password, session=session, ip=client.ip
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions", response_model=SessionsPublic)
async def list_sessions(user: CurrentUser, db: Db, page: PageParams, session: CurrentSession) -> dict:
    """The account's signed-in sessions (browsers and apps), most recently renewed first."""
    items, total = await sessions.list_sessions(db=db, user_id=user.id, current=session, limit=page.limit, offset=page.offset)
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_session(session_id: str, user: CurrentUser, db: Db, client: ClientInfo) -> Response:
    """Sign one session out; its access token lasts until it expires (ACCESS_TOKEN_EXPIRE_MINUTES)."""
    await sessions.revoke_session(db=db, user_id=user.id, public_id=session_id, ip=client.ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
