"""Sessions: short-lived access tokens and rotating refresh tokens grouped in families."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.core.errors import NotAuthenticated
from linkapp.core.security import AccessToken, create_access_token, decode_access_token, hash_token, new_refresh_token
from linkapp.core.times import utcnow
from linkapp.models.token import RefreshToken
from linkapp.models.user import User
from linkapp.services.accounts import users

INVALID_REFRESH = "The session has expired or was signed out; sign in again."


@dataclass(frozen=True)
class Session:
    user: User
    access: AccessToken
    refresh_token: str

    def public(self) -> dict:
        return {
            "access_token": self.access.token,
            "token_type": "bearer",
            "username": self.user.username,
            "id": ids.encode_user_id(self.user.id),
            "expires_in": self.access.expires_in,
        }


async def _new_refresh(db: AsyncSession, user_id: int, family_id: str) -> str:
    token = new_refresh_token()
    db.add(
        RefreshToken(
            user_id=user_id,
            token_hash=hash_token(token),
            family_id=family_id,
            expires_at=utcnow() + timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS),
        )
    )
    return token


async def start_session(*, db: AsyncSession, user: User) -> Session:
    """A fresh access token and the first refresh token of a new family."""
    refresh = await _new_refresh(db, user.id, uuid.uuid4().hex)
    await db.commit()
    return Session(user=user, access=create_access_token(ids.encode_user_id(user.id)), refresh_token=refresh)


async def _revoke_family(db: AsyncSession, family_id: str) -> None:
    await db.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await db.commit()


async def _live_token(db: AsyncSession, refresh_token: str) -> RefreshToken:
    """The stored, unrevoked, unexpired token; presenting a revoked one revokes its family."""
    if not refresh_token:
        raise NotAuthenticated(INVALID_REFRESH)
    stored = (
        await db.execute(select(RefreshToken).where(RefreshToken.token_hash == hash_token(refresh_token)))
    ).scalar_one_or_none()
    if stored is None:
        raise NotAuthenticated(INVALID_REFRESH)
    if stored.revoked_at is not None:
        await _revoke_family(db, stored.family_id)
        raise NotAuthenticated(INVALID_REFRESH)
    if stored.expires_at <= utcnow():
        raise NotAuthenticated(INVALID_REFRESH)
    return stored


async def resume_session(*, db: AsyncSession, refresh_token: str) -> Session:
    """A new access token for a live session, keeping its refresh token.

    For the web UI: every open tab shares the session cookie, so rotating it from one tab would
    make the others present a rotated token and sign everyone out. Sign-out still revokes it."""
    stored = await _live_token(db, refresh_token)
    user = await users.get_user(db=db, user_id=stored.user_id)
    if user is None:
        raise NotAuthenticated(INVALID_REFRESH)
    return Session(user=user, access=create_access_token(ids.encode_user_id(user.id)), refresh_token=refresh_token)


async def refresh_session(*, db: AsyncSession, refresh_token: str) -> Session:
    """Rotate a refresh token. A token used twice means it leaked: its whole family is revoked."""
    stored = await _live_token(db, refresh_token)
    # A rollback expires `stored`, and reloading it lazily is not possible in async code.
    token_id, family_id, user_id = stored.id, stored.family_id, stored.user_id
    # The conditional update makes rotation atomic: of two concurrent uses only one wins.
    result = await db.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if result.rowcount != 1:
        await db.rollback()
        await _revoke_family(db, family_id)
        raise NotAuthenticated(INVALID_REFRESH)
    user = await users.get_user(db=db, user_id=user_id)
    if user is None:
        await db.rollback()
        raise NotAuthenticated(INVALID_REFRESH)
    refresh = await _new_refresh(db, user.id, family_id)
    await db.commit()
    return Session(user=user, access=create_access_token(ids.encode_user_id(user.id)), refresh_token=refresh)


async def end_session(*, db: AsyncSession, refresh_token: str | None) -> None:
    """Sign out: revoke the session (the token's whole family). Unknown tokens are ignored."""
    if not refresh_token:
        return
    stored = (
        await db.execute(select(RefreshToken).where(RefreshToken.token_hash == hash_token(refresh_token)))
    ).scalar_one_or_none()
    if stored is not None:
        await _revoke_family(db, stored.family_id)


async def user_from_access_token(*, db: AsyncSession, token: str) -> User:
    subject = decode_access_token(token)
    user = await users.get_user_by_public_id(db=db, public_id=subject) if subject else None
    if user is None:
        raise NotAuthenticated("The access token is invalid or has expired.")
    return user


async def issued_to(*, db: AsyncSession, refresh_token: str | None, username: str) -> bool:
    """Whether `refresh_token` was ever issued to `username` (in any case), live, expired or revoked.

    Only read: presenting a revoked token to `refresh_session` would revoke its family, this must
    not. A token ever issued to the account shows a browser its owner signed in from.
    """
    if not refresh_token:
        return False
    owner = await db.scalar(
        select(User.username_key).join(RefreshToken, RefreshToken.user_id == User.id).where(RefreshToken.token_hash == hash_token(refresh_token))
    )
    return owner is not None and owner == username.lower()
