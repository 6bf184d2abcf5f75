"""Password hashing and tokens as pure functions; nothing here knows about HTTP."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from passlib.context import CryptContext

from linkapp.core.config import settings

REFRESH_TOKEN_BYTES = 32


@lru_cache(maxsize=1)
def _crypt() -> CryptContext:
    # bcrypt_sha256 pre-hashes, so passwords longer than bcrypt's 72 bytes are not truncated.
    return CryptContext(schemes=["bcrypt_sha256"], bcrypt_sha256__rounds=settings.BCRYPT_ROUNDS)


def hash_password(password: str) -> str:
    return _crypt().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _crypt().verify(password, password_hash)
    except (ValueError, TypeError):
        return False


@lru_cache(maxsize=1)
def dummy_password_hash() -> str:
    """A hash to verify against for unknown users, so login takes the same time either way."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


def create_access_token(subject: str, session_id: str | None = None) -> AccessToken:
    """A signed access token for `subject`; `session_id` names the session (refresh family) it came from."""
    now = datetime.now(UTC)
    lifetime = timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    payload = {"sub": subject, "iat": now, "exp": now + lifetime, "type": "access", "jti": uuid.uuid4().hex}
    if session_id:
        payload["sid"] = session_id
    token = jwt.encode(payload, settings.JWT_SECRET, algorithm=settings.JWT_ALGORITHM)
    return AccessToken(token=token, expires_in=int(lifetime.total_seconds()))


def access_claims(token: str) -> dict | None:
    """The claims of a valid, unexpired access token, else None (forged, expired, `alg: none`...)."""
    try:
        payload = jwt.decode(
            token,
            settings.JWT_SECRET,
            algorithms=[settings.JWT_ALGORITHM],
            options={"require": ["exp", "sub", "iat"]},
        )
    except jwt.PyJWTError:
        return None
    if payload.get("type") != "access" or not isinstance(payload.get("sub"), str):
        return None
    return payload


def decode_access_token(token: str) -> str | None:
    """The subject of a valid, unexpired access token, else None."""
    claims = access_claims(token)
    return claims["sub"] if claims else None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Refresh tokens are stored hashed: a database leak does not leak sessions."""
    # surrogatepass: a token from JSON may hold lone surrogates; it must hash (and match nothing), not crash.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
