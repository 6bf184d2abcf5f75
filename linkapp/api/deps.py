"""What API routes ask for: a database session, the client's address, the signed-in user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp import db as database
from linkapp.core import ratelimit
from linkapp.core.config import settings
from linkapp.core.errors import NotAuthenticated
from linkapp.core.net import client_ip
from linkapp.models.user import User
from linkapp.services.accounts import api_keys, sessions


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


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send an access token or API key as `Authorization: Bearer <token>`.")
    return token.strip()


async def get_current_user(request: Request, response: Response, db: Db) -> User:
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


class Page:
    """`?limit=` (1-100, default 20) and `?offset=` (default 0); out of range is 422, not clamped."""

    def __init__(self, limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0, le=2**31 - 1)):
        self.limit = limit
        self.offset = offset


PageParams = Annotated[Page, Depends()]
