"""What API routes ask for: a database session, the client's address, the signed-in user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import Depends, Query, Request, Response, Security
from fastapi.security import HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp import db as database
from linkapp.core import ratelimit
from linkapp.core.config import settings
from linkapp.core.errors import NotAuthenticated
from linkapp.core.net import client_ip
from linkapp.models.user import User
from linkapp.services.accounts import api_keys, sessions
from linkapp.services.accounts.sessions import Client
from linkapp.services.visitors import devices


async def get_db() -> AsyncIterator[AsyncSession]:
    async with database.session() as db:
        yield db


Db = Annotated[AsyncSession, Depends(get_db)]


def get_client_ip(request: Request) -> str:
    peer = request.client.host if request.client else ""
    # Several header lines are one comma-separated list (RFC 9110 5.3); reading only the first
    # would believe the line a client wrote itself ahead of the one our proxy appended.
    forwarded_for = ", ".join(request.headers.getlist("x-forwarded-for")) or None
    return client_ip(peer, forwarded_for)


ClientIp = Annotated[str, Depends(get_client_ip)]


async def get_client(request: Request, ip: ClientIp) -> Client:
    """The client a session is for: its address, device class and browser (read off the loop:
    ua-parser takes a while on a long agent)."""
    agent = await anyio.to_thread.run_sync(devices.describe_agent, request.headers.get("user-agent", ""))
    return Client(ip=ip, device=agent.device, browser=agent.browser)


ClientInfo = Annotated[Client, Depends(get_client)]


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send an access token or API key as `Authorization: Bearer <token>`.")
    return token.strip()


# Declares the scheme in the OpenAPI document (the docs' Authorize button); reading the header
# stays ours (`bearer_token`), for one error shape.
_BEARER = HTTPBearer(auto_error=False, description="An access token from /auth/login, or a personal API key (`lk_…`).")


async def get_current_user(request: Request, response: Response, db: Db, _scheme: Annotated[object, Security(_BEARER)] = None) -> User:
    """The user behind the access token or personal API key; every authenticated request
    counts against RATE_LIMIT_API (per user, whichever way they came)."""
    token = bearer_token(request)
    if api_keys.is_api_key(token):
        user = await api_keys.user_from_key(db=db, secret=token)
    else:
        user = await sessions.user_from_access_token(db=db, token=token)
    verdict = await ratelimit.enforce(settings.RATE_LIMIT_API, "api", str(user.id))
    response.headers.update(verdict.headers())
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_current_session(request: Request) -> str | None:
    """The public id of the session whose access token authenticates the request (None for API keys)."""
    token = bearer_token(request)
    return None if api_keys.is_api_key(token) else sessions.access_session_id(token)


CurrentSession = Annotated[str | None, Depends(get_current_session)]


class Page:
    """`?limit=` (1-100, default 20) and `?offset=` (default 0); out of range is 422, not clamped."""

    def __init__(self, limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0, le=2**31 - 1)):
        self.limit = limit
        self.offset = offset


PageParams = Annotated[Page, Depends()]
