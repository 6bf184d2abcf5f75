"""Accounts: the username and password rules, registration and sign-in."""

from __future__ import annotations

import re
from functools import lru_cache

import anyio
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ids
from linkapp.core.errors import Conflict, NotAuthenticated, ValidationFailed
from linkapp.core.security import dummy_password_hash, hash_password, verify_password
from linkapp.models.user import User

USERNAME_RE = re.compile(r"[A-Za-z0-9_]{3,20}")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
BAD_CREDENTIALS = "Incorrect username or password."


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (zxcvbn's list), lower-cased."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def username_problems(username: str) -> list[str]:
    if not USERNAME_RE.fullmatch(username or ""):
        return ["Username must be 3 to 20 characters: letters, digits and _ only."]
    return []


def password_problems(password: str) -> list[str]:
    """Every rule the password breaks, in words a person can act on."""
    password = password or ""
    if len(password) < PASSWORD_MIN:
        return [f"Password must be at least {PASSWORD_MIN} characters."]
    if len(password) > PASSWORD_MAX:
        return [f"Password must be at most {PASSWORD_MAX} characters."]
    if not _is_utf8(password):
        # JSON can smuggle in lone surrogates ("\ud800"); they cannot be hashed or stored.
        return ["Password contains characters that are not valid text."]
    problems = []
    if not re.search(r"[a-z]", password):
        problems.append("Password needs a lower-case letter.")
    if not re.search(r"[A-Z]", password):
        problems.append("Password needs an upper-case letter.")
    if not re.search(r"[0-9]", password):
        problems.append("Password needs a digit.")
    if not re.search(r"[^A-Za-z0-9]", password):
        problems.append("Password needs a symbol.")
    if password.lower() in common_passwords():
        problems.append("This password is too common; choose another.")
    return problems


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_credentials(username: str, password: str) -> None:
    errors = [{"loc": ["body", "username"], "msg": msg} for msg in username_problems(username)]
    errors += [{"loc": ["body", "password"], "msg": msg} for msg in password_problems(password)]
    if errors:
        raise ValidationFailed(errors[0]["msg"], errors=errors)


async def get_user_by_username(*, db: AsyncSession, username: str) -> User | None:
    return (await db.execute(select(User).where(User.username_key == username.lower()))).scalar_one_or_none()


async def get_user(*, db: AsyncSession, user_id: int) -> User | None:
    return await db.get(User, user_id)


async def get_user_by_public_id(*, db: AsyncSession, public_id: str) -> User | None:
    user_id = ids.decode_user_id(public_id)
    return None if user_id is None else await db.get(User, user_id)


async def register_user(*, db: AsyncSession, username: str, password: str) -> User:
    """Create an account; 422 on bad input, 409 when the name is taken in any case."""
    check_credentials(username, password)
    if await get_user_by_username(db=db, username=username) is not None:
        raise Conflict("That username is taken.")
    password_hash = await anyio.to_thread.run_sync(hash_password, password)
    user = User(username=username, username_key=username.lower(), password_hash=password_hash)
    db.add(user)
    try:
        await db.commit()
    except IntegrityError as exc:  # lost a race with another registration
        await db.rollback()
        raise Conflict("That username is taken.") from exc
    return user


async def authenticate(*, db: AsyncSession, username: str, password: str) -> User:
    """The user these credentials belong to; one error, and the same time, for every failure."""
    # Only a valid name can belong to someone; anything else is not worth a query (or a crash).
    user = None if username_problems(username) else await get_user_by_username(db=db, username=username)
    stored = user.password_hash if user else dummy_password_hash()
    valid = await anyio.to_thread.run_sync(verify_password, (password or "")[:1024], stored)
    if user is None or not valid:
        raise NotAuthenticated(BAD_CREDENTIALS)
    return user


def public_user(user: User) -> dict:
    return {"id": ids.encode_user_id(user.id), "username": user.username, "created_at": user.created_at}
