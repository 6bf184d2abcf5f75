"""Proving and changing a signed-in user's password.

Changing it signs every other session out (a thief's included) and keeps API keys: scripts go on
working. Guesses of the current password count against the account's sign-in limit, as guesses at
the sign-in form do: an open session must not become an unlimited password oracle.
"""

from __future__ import annotations

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ratelimit
from linkapp.core.config import settings
from linkapp.core.errors import NotAuthenticated, ValidationFailed
from linkapp.core.security import hash_password, verify_password
from linkapp.models.user import User
from linkapp.services.accounts import audit, sessions, users
from linkapp.services.accounts.sign_in import login_limit_key

WRONG_PASSWORD = "The password is not right."


async def confirm_password(*, user: User, password: str) -> None:
    """Raise NotAuthenticated unless `password` is the user's; counted per account like a sign-in.

    Raises:
        RateLimited: Too many attempts on this account (RATE_LIMIT_LOGIN_ACCOUNT).
        NotAuthenticated: The password is wrong.
    """
    await ratelimit.enforce(settings.RATE_LIMIT_LOGIN_ACCOUNT, "login-account", login_limit_key(user.username))
    if not await anyio.to_thread.run_sync(verify_password, (password or "")[:1024], user.password_hash):
        raise NotAuthenticated(WRONG_PASSWORD)


async def change_password(
    *, db: AsyncSession, user: User, current_password: str, new_password: str, session: str | None = None, ip: str | None = None
) -> int:
    """Set a new password and sign out every other session.

    Args:
        user: The signed-in user.
        current_password: Their password now.
        new_password: The new one; the rules of a new account's password apply.
        session: The public id of the session asking, which stays signed in (None: an API key asks).
        ip: The client's address, for the audit log.

    Returns:
        How many refresh tokens were revoked.

    Raises:
        RateLimited, NotAuthenticated: see `confirm_password`.
        ValidationFailed: The new password breaks a rule or is the current one.
    """
    await confirm_password(user=user, password=current_password)
    problems = await anyio.to_thread.run_sync(lambda: users.password_problems(new_password, username=user.username))
    if not problems and new_password == current_password:
        problems = ["The new password must differ from the current one."]
    if problems:
        raise ValidationFailed(problems[0], errors=[{"loc": ["body", "new_password"], "msg": msg} for msg in problems])
    user.password_hash = await anyio.to_thread.run_sync(hash_password, new_password)
    db.add(user)
    revoked = await sessions.revoke_other_sessions(db, user_id=user.id, keep=session)
    audit.record(db, user_id=user.id, event="password_changed", ip=ip)
    await db.commit()
    return revoked
