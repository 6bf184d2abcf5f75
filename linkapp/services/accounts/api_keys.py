"""Personal API keys: made for scripts, stored as a hash, shown once, revoked at will.

A key is `lk_` and 43 random URL-safe characters (256 bits), so a plain SHA-256 is enough to
store it by: there is nothing to guess. Using a key notes when it was last used, at most once a
minute, so a busy script does not turn every request into a write.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ids
from linkapp.core.errors import NotAuthenticated, NotFound, ValidationFailed
from linkapp.core.security import hash_token
from linkapp.core.times import utcnow
from linkapp.models.api_key import MAX_KEY_NAME, ApiKey, ApiKeyCreated, ApiKeyPublic
from linkapp.models.text import text_problem
from linkapp.models.user import User
from linkapp.services.accounts import audit

PREFIX = "lk_"
SHOWN = 10  # characters of the key kept in the clear, to tell keys apart ("lk_" and 7 more)
LAST_USED_EVERY = timedelta(minutes=1)


def is_api_key(token: str) -> bool:
    return token.startswith(PREFIX)


def to_public(key: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic(id=ids.encode_key_id(key.id), name=key.name, prefix=key.prefix, created_at=key.created_at, last_used_at=key.last_used_at)


def _described(key: ApiKey) -> str:
    # The audit log names a key as its list does: by name and the characters shown in the clear.
    return f"{key.name} ({key.prefix}…)"


async def create_key(*, db: AsyncSession, user_id: int, name: str, ip: str | None = None) -> ApiKeyCreated:
    """A new key for the user (noted in their audit log from `ip`); the returned `key` is the only time it is ever shown."""
    problem = text_problem(name, name="The key's name")
    if problem:  # the UI calls here without the API's request model
        raise ValidationFailed(problem, field="name")
    name = " ".join(name.split())
    if not 1 <= len(name) <= MAX_KEY_NAME:
        raise ValidationFailed(f"Give the key a name of 1 to {MAX_KEY_NAME} characters, e.g. the script that will use it.", field="name")
    secret = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(user_id=user_id, name=name, prefix=secret[:SHOWN], key_hash=hash_token(secret))
    db.add(key)
    audit.record(db, user_id=user_id, event="api_key_created", ip=ip, detail=_described(key))
    await db.commit()
    await db.refresh(key)
    return ApiKeyCreated(**to_public(key).model_dump(), key=secret)


async def list_keys(*, db: AsyncSession, user_id: int, limit: int, offset: int) -> tuple[list[ApiKey], int]:
    total = (await db.execute(select(func.count()).select_from(ApiKey).where(ApiKey.user_id == user_id))).scalar_one()
    rows = await db.execute(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc(), ApiKey.id.desc()).limit(limit).offset(offset))
    return list(rows.scalars()), total


async def get_key(*, db: AsyncSession, user_id: int, public_id: str) -> ApiKey:
    """One of the user's keys; another user's key is as unknown as a missing one (NotFound)."""
    key_id = ids.decode_key_id(public_id)
    key = await db.get(ApiKey, key_id) if key_id is not None else None
    if key is None or key.user_id != user_id:
        raise NotFound("No such API key.")
    return key


async def revoke_key(*, db: AsyncSession, user_id: int, public_id: str, ip: str | None = None) -> None:
    """Delete one of the user's keys (noted in their audit log from `ip`); NotFound as for `get_key`."""
    key = await get_key(db=db, user_id=user_id, public_id=public_id)
    await db.delete(key)
    audit.record(db, user_id=user_id, event="api_key_revoked", ip=ip, detail=_described(key))
    await db.commit()


async def user_from_key(*, db: AsyncSession, secret: str) -> User:
    """The owner of a valid key; 401 for anything else."""
    key = (await db.execute(select(ApiKey).where(ApiKey.key_hash == hash_token(secret)))).scalar_one_or_none()
    user = await db.get(User, key.user_id) if key is not None else None
    if key is None or user is None:
        raise NotAuthenticated("The API key is not valid (revoked, or never issued).")
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        key.last_used_at = now
        await db.commit()
    return user
