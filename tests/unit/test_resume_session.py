"""The web UI's silent renewal: a new access token from the session cookie, without rotating it."""

from __future__ import annotations

import pytest

from linkapp.core.errors import NotAuthenticated
from linkapp.core.security import decode_access_token
from linkapp.services.accounts import sessions as auth
from linkapp.services.accounts import users
from tests.factories import PASSWORD


@pytest.fixture
async def session(db):
    user = await users.register_user(db=db, username="renewer", password=PASSWORD)
    return await auth.start_session(db=db, user=user)


async def test_resume_session_gives_fresh_access_token_and_keeps_cookie_token(db, session):
    first = await auth.resume_session(db=db, refresh_token=session.refresh_token)
    second = await auth.resume_session(db=db, refresh_token=session.refresh_token)  # another tab
    assert first.refresh_token == second.refresh_token == session.refresh_token
    assert decode_access_token(second.access.token) == session.public()["id"]
    assert first.access.token != session.access.token


async def test_resume_session_after_sign_out_fails(db, session):
    await auth.end_session(db=db, refresh_token=session.refresh_token)
    with pytest.raises(NotAuthenticated):
        await auth.resume_session(db=db, refresh_token=session.refresh_token)


async def test_resume_session_with_rotated_token_fails_and_revokes_family(db, session):
    rotated = await auth.refresh_session(db=db, refresh_token=session.refresh_token)  # via the API
    with pytest.raises(NotAuthenticated):
        await auth.resume_session(db=db, refresh_token=session.refresh_token)
    with pytest.raises(NotAuthenticated):  # the reuse looked like theft: the newer token is gone too
        await auth.resume_session(db=db, refresh_token=rotated.refresh_token)


async def test_resume_session_with_unknown_token_fails(db):
    with pytest.raises(NotAuthenticated):
        await auth.resume_session(db=db, refresh_token="not-a-token")
