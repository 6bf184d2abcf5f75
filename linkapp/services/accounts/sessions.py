"""Sessions: short-lived access tokens and rotating refresh tokens grouped in families.

A family is one session: one sign-in on one device, renewed by rotating its refresh token. The
sessions list shows each live family by its newest token; revoking a session revokes its family.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.core.errors import NotAuthenticated, NotFound
from linkapp.core.net import ip_prefix
from linkapp.core.security import AccessToken, access_claims, create_access_token, hash_token, new_refresh_token
from linkapp.core.times import utcnow
from linkapp.models.token import RefreshToken, SessionPublic
from linkapp.models.user import User
from linkapp.services.accounts import audit, users

INVALID_REFRESH = "The session has expired or was signed out; sign in again."
SESSION_PREFIX = "ses_"


@dataclass(frozen=True, slots=True)
class Client:
    """Where a sign-in or renewal comes from: the address (kept as its anonymized prefix only),
    and the device class and browser the caller read from its User-Agent."""

    ip: str | None = None
    device: str | None = None
    browser: str | None = None


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


def session_id(family_id: str) -> str:
    """A session's public id: its family's random id, marked as a session's."""
    return SESSION_PREFIX + family_id


def _family_of(public_id: str) -> str | None:
    family = public_id.removeprefix(SESSION_PREFIX)
    if not public_id.startswith(SESSION_PREFIX) or len(family) != 32 or not all(ch in "0123456789abcdef" for ch in family):
        return None
    return family


def _issue(user: User, family_id: str, refresh_token: str) -> Session:
    access = create_access_token(ids.encode_user_id(user.id), session_id(family_id))
    return Session(user=user, access=access, refresh_token=refresh_token)


def _new_refresh(db: AsyncSession, user_id: int, family_id: str, client: Client) -> str:
    token = new_refresh_token()
    db.add(
        RefreshToken(
            user_id=user_id,
            token_hash=hash_token(token),
            family_id=family_id,
            expires_at=utcnow() + timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS),
            device=client.device[:16] if client.device else None,
            browser=client.browser[:64] if client.browser else None,
            ip_prefix=ip_prefix(client.ip),
        )
    )
    return token


async def start_session(*, db: AsyncSession, user: User, client: Client = Client()) -> Session:
    """A fresh access token and the first refresh token of a new family; commits what `db` holds
    (the caller's audit event with it)."""
    family_id = uuid.uuid4().hex
    refresh = _new_refresh(db, user.id, family_id, client)
    await db.commit()
    return _issue(user, family_id, refresh)


async def _revoke_families(db: AsyncSession, *conditions) -> int:
    result = await db.execute(update(RefreshToken).where(RefreshToken.revoked_at.is_(None), *conditions).values(revoked_at=utcnow()))
    return result.rowcount


async def _reused(db: AsyncSession, stored_user_id: int, family_id: str, client: Client) -> NotAuthenticated:
    """A rotated token came back: it leaked. Its whole family goes, and the owner's log says so;
    a token of a session already signed out is only refused (a stale tab, not a thief)."""
    if await _revoke_families(db, RefreshToken.family_id == family_id):
        audit.record(db, user_id=stored_user_id, event="refresh_reused", ip=client.ip)
    await db.commit()
    return NotAuthenticated(INVALID_REFRESH)


async def _live_token(db: AsyncSession, refresh_token: str, client: Client) -> RefreshToken:
    """The stored, unrevoked, unexpired token; presenting a revoked one revokes its family."""
    if not refresh_token:
        raise NotAuthenticated(INVALID_REFRESH)
    stored = (
        await db.execute(select(RefreshToken).where(RefreshToken.token_hash == hash_token(refresh_token)))
    ).scalar_one_or_none()
    if stored is None:
        raise NotAuthenticated(INVALID_REFRESH)
    if stored.revoked_at is not None:
        raise await _reused(db, stored.user_id, stored.family_id, client)
    if stored.expires_at <= utcnow():
        raise NotAuthenticated(INVALID_REFRESH)
    return stored


async def refresh_session(*, db: AsyncSession, refresh_token: str, client: Client = Client()) -> Session:
    """Rotate a refresh token. A token used twice means it leaked: its whole family is revoked.

    The web UI renews through this too: its pages serialize their renewals (one browser lock), so
    two tabs never present the same token."""
    stored = await _live_token(db, refresh_token, client)
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
        raise await _reused(db, user_id, family_id, client)
    user = await users.get_user(db=db, user_id=user_id)
    if user is None:
        await db.rollback()
        raise NotAuthenticated(INVALID_REFRESH)
    refresh = _new_refresh(db, user.id, family_id, client)
    await db.commit()
    return _issue(user, family_id, refresh)


async def end_session(*, db: AsyncSession, refresh_token: str | None, client: Client = Client()) -> None:
    """Sign out: revoke the session (the token's whole family). Unknown tokens are ignored."""
    if not refresh_token:
        return
    stored = (
        await db.execute(select(RefreshToken).where(RefreshToken.token_hash == hash_token(refresh_token)))
    ).scalar_one_or_none()
    if stored is None:
        return
    if await _revoke_families(db, RefreshToken.family_id == stored.family_id):
        audit.record(db, user_id=stored.user_id, event="signed_out", ip=client.ip)
    await db.commit()


async def user_from_access_token(*, db: AsyncSession, token: str) -> User:
    claims = access_claims(token)
    user = await users.get_user_by_public_id(db=db, public_id=claims["sub"]) if claims else None
    if user is None:
        raise NotAuthenticated("The access token is invalid or has expired.")
    return user


def access_session_id(token: str) -> str | None:
    """The session an access token was issued for (None for API keys and older tokens)."""
    claims = access_claims(token)
    sid = claims.get("sid") if claims else None
    return sid if isinstance(sid, str) else None


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


async def list_sessions(
    *, db: AsyncSession, user_id: int, current: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[SessionPublic], int]:
    """A page of the user's live sessions, most recently used first, and how many there are.

    Args:
        current: The public id of the session asking (from its access token), marked `current`.
    """
    live = (RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > utcnow())
    started = (
        select(RefreshToken.family_id, func.min(RefreshToken.created_at).label("started"))
        .where(RefreshToken.user_id == user_id)
        .group_by(RefreshToken.family_id)
        .subquery()
    )
    total = await db.scalar(select(func.count()).select_from(RefreshToken).where(*live))
    rows = await db.execute(
        select(RefreshToken, started.c.started)
        .join(started, started.c.family_id == RefreshToken.family_id)
        .where(*live)
        .order_by(RefreshToken.created_at.desc(), RefreshToken.id.desc())
        .limit(limit)
        .offset(offset)
    )
    items = [
        SessionPublic(
            id=session_id(token.family_id),
            created_at=started_at,
            last_used_at=token.created_at,
            device=token.device,
            browser=token.browser,
            ip_prefix=token.ip_prefix,
            current=session_id(token.family_id) == current,
        )
        for token, started_at in rows.all()
    ]
    return items, total or 0


async def revoke_session(*, db: AsyncSession, user_id: int, public_id: str, ip: str | None = None) -> None:
    """Sign one of the user's sessions out (its refresh family); 404 unless it is theirs and live."""
    family = _family_of(public_id)
    theirs = (RefreshToken.user_id == user_id, RefreshToken.family_id == family, RefreshToken.expires_at > utcnow())
    if family is None or not await _revoke_families(db, *theirs):
        await db.rollback()
        raise NotFound("No such session.")
    audit.record(db, user_id=user_id, event="session_revoked", ip=ip, detail=public_id)
    await db.commit()


async def revoke_other_sessions(db: AsyncSession, *, user_id: int, keep: str | None) -> int:
    """Revoke every session of the user but `keep` (a public id); no commit: the caller's change
    lands with it. Returns how many tokens were revoked."""
    family = _family_of(keep) if keep else None
    conditions = [RefreshToken.user_id == user_id] + ([RefreshToken.family_id != family] if family else [])
    return await _revoke_families(db, *conditions)


async def prune(db: AsyncSession) -> int:
    """Forget refresh tokens past their expiry, which open nothing any more; the caller commits.
    (Every renewal adds a token: an open tab adds about a hundred a day, each kept 30 days.)"""
    return (await db.execute(delete(RefreshToken).where(RefreshToken.expires_at < utcnow()))).rowcount
