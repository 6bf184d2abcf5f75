"""Accounts: the username and password rules, registration and sign-in."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import anyio
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ids
from linkapp.core.errors import Conflict, NotAuthenticated, ValidationFailed
from linkapp.core.security import dummy_password_hash, hash_password, verify_password
from linkapp.models.text import text_problem
from linkapp.models.user import User

USERNAME_RE = re.compile(r"[A-Za-z0-9_]{3,20}")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
# zxcvbn's score (0-4) a new password must reach: 3 is "safely unguessable", about 10^8 guesses and more.
PASSWORD_MIN_SCORE = 3
# zxcvbn's cost grows fast with length (about 10 ms at 32 characters, up to 150 ms at 72), and it
# runs on every keystroke of the register form: it judges the first 32, enough to tell a weak start.
STRENGTH_CHARS = 32
# zxcvbn keeps the user inputs of a call in a module-level dict: two calls at once (registrations
# run it on worker threads) would judge one person's password against the other's name.
_zxcvbn_lock = threading.Lock()
BAD_CREDENTIALS = "Incorrect username or password."


@dataclass(frozen=True, slots=True)
class PasswordStrength:
    """How hard a password is to guess: zxcvbn's score and, when too low, why in a person's words."""

    score: int  # 0 (very weak) to 4 (strong)
    feedback: str = ""  # empty when the score is high enough


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (zxcvbn's list), lower-cased."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def username_problems(username: str) -> list[str]:
    if not USERNAME_RE.fullmatch(username or ""):
        return ["Username must be 3 to 20 characters: letters, digits and _ only."]
    return []


def password_strength(password: str, *, username: str = "") -> PasswordStrength:
    """zxcvbn's judgement of `password` with the username as a word to guess from.

    Args:
        password: The password as typed; only its first STRENGTH_CHARS characters are judged.
        username: The account's name: a password built on it is easy to guess.

    Returns:
        The 0-4 score, and for a score under PASSWORD_MIN_SCORE zxcvbn's warning (or that the
        password is built on the username) and its first suggestion.
    """
    if not password:
        return PasswordStrength(score=0)
    from zxcvbn import zxcvbn

    with _zxcvbn_lock:
        result = zxcvbn(password[:STRENGTH_CHARS], user_inputs=[username] if username else [])
    score = int(result["score"])
    if score >= PASSWORD_MIN_SCORE:
        return PasswordStrength(score=score)
    warning = result["feedback"]["warning"]
    if not warning and any(match.get("dictionary_name") == "user_inputs" for match in result["sequence"]):
        warning = "It is built on your username."
    suggestions = result["feedback"]["suggestions"]
    return PasswordStrength(score=score, feedback=" ".join(part for part in (warning, suggestions[0] if suggestions else "") if part))


def password_problems(password: str, *, username: str = "") -> list[str]:
    """Every rule a new password breaks, in words a person can act on.

    Signing in never asks this: an account keeps working with the password it was made with.

    Args:
        password: The new password.
        username: The account's name; a password built on it is refused.

    Returns:
        One sentence per broken rule; empty when the password is good.
    """
    password = password or ""
    if len(password) < PASSWORD_MIN:
        return [f"Password must be at least {PASSWORD_MIN} characters."]
    if len(password) > PASSWORD_MAX:
        return [f"Password must be at most {PASSWORD_MAX} characters."]
    # Lone surrogates from JSON cannot be hashed; control characters have no place in a password.
    unsafe = text_problem(password, name="Password")
    if unsafe:
        return [unsafe]
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
    elif not problems:  # the kinds of character first: a password missing one is not judged further
        strength = password_strength(password, username=username)
        if strength.score < PASSWORD_MIN_SCORE:
            problems.append(f"This password is too easy to guess. {strength.feedback}".strip())
    return problems


def check_credentials(username: str, password: str) -> None:
    """Raise ValidationFailed listing every rule a new account's name and password break."""
    errors = [{"loc": ["body", "username"], "msg": msg} for msg in username_problems(username)]
    errors += [{"loc": ["body", "password"], "msg": msg} for msg in password_problems(password, username=username)]
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
    # zxcvbn takes milliseconds: off the event loop, as hashing is.
    await anyio.to_thread.run_sync(check_credentials, username, password)
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
