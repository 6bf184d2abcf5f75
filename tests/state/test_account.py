"""AccountState: the security page's sessions, password change, activity and account deletion."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from linkapp import db as database
from linkapp.core.config import settings
from linkapp.core.errors import NotAuthenticated
from linkapp.models.link import Link
from linkapp.services.accounts import audit, sessions, users
from linkapp.state.account import ACCOUNT_DELETED, PASSWORD_CHANGED, SESSION_LAPSED, AccountState
from linkapp.state.auth import AuthState
from tests.state.conftest import Tab, make_link, make_member, signed_in_tab

NEW_PASSWORD = "Quiet-Lantern-42!"
WRONG_PASSWORD = "Not-The-Password-1"
# UTC+14: a day and an hour that differ from UTC's for most of the day.
FAR_EAST = "Pacific/Kiritimati"
TOO_EASY = "This password is too easy to guess. This is similar to a commonly used password. Add another word or two. Uncommon words are better."
PHONE = sessions.Client(ip="2001:db8:abcd:12::1", device="mobile", browser="Mobile Safari")


async def _other_session(member, client: sessions.Client = PHONE) -> str:
    """A second sign-in of `member`'s elsewhere; returns its refresh token."""
    async with database.session() as db:
        user = await users.get_user(db=db, user_id=member.user_id)
        return (await sessions.start_session(db=db, user=user, client=client)).refresh_token


async def _still_signed_in(refresh_token: str) -> bool:
    async with database.session() as db:
        try:
            await sessions.refresh_session(db=db, refresh_token=refresh_token)
        except NotAuthenticated:
            return False
    return True


async def _security_page(member, tz: str = "UTC") -> Tab:
    """A tab on the security page, signed in as `member`, its zone learnt from the browser."""
    tab = await signed_in_tab(member.session_token, "/settings/security", ip="198.51.100.23")
    sent = await tab.fire(AccountState.load)
    assert "set_tz_and_load" in str(sent.events[0].payload)  # the page asks the browser its zone first
    await tab.fire(AccountState.set_tz_and_load, tz)
    assert tab[AccountState].loaded
    return tab


def _shown_at(text: str, tz: str) -> datetime:
    return datetime.strptime(text, "%b %d, %Y, %H:%M").replace(tzinfo=ZoneInfo(tz))


async def test_sessions_show_this_browser_first_and_the_others_by_device(member):
    await _other_session(member)

    tab = await _security_page(member, FAR_EAST)

    this, phone = tab[AccountState].session_rows
    assert (this["current"], this["browser"], this["device"], this["address"]) == (True, "Chrome", "Computer", "198.51.100.0/24")
    assert (phone["current"], phone["browser"], phone["device"], phone["address"]) == (False, "Mobile Safari", "Phone", "2001:db8:abcd::/48")
    assert (this["label"], phone["label"]) == ("Chrome on a computer", "Mobile Safari on a phone")
    assert phone["id"].startswith("ses_") and tab[AccountState].other_sessions == 1
    # Times are the viewer's: the browser's zone, to the minute.
    now = datetime.now(ZoneInfo(FAR_EAST))
    for shown in (this["signed_in"], this["last_active"], phone["last_active"]):
        assert abs(_shown_at(shown, FAR_EAST) - now) < timedelta(minutes=2), shown


async def test_signing_out_another_session_ends_it_and_is_logged(member):
    phone_token = await _other_session(member)
    tab = await _security_page(member)
    phone = tab[AccountState].session_rows[1]

    await tab.fire(AccountState.ask_sign_out, phone["id"], "Mobile Safari on a phone")
    assert tab[AccountState].confirm_open
    sent = await tab.fire(AccountState.sign_out_session)

    assert sent.toasts == [("success", "Session signed out")]
    page = tab[AccountState]
    assert not page.confirm_open
    assert [row["current"] for row in page.session_rows] == [True]
    assert not await _still_signed_in(phone_token)
    assert (page.activity[0]["what"], page.activity[0]["address"], page.activity[0]["detail"]) == (
        "Session revoked",
        "198.51.100.0/24",
        "session " + phone["id"].removeprefix("ses_")[:8] + "…",
    )


async def test_signing_out_someone_elses_session_is_refused(member):
    other = await make_member()
    tab = await _security_page(member)
    async with database.session() as db:
        [theirs], _ = await sessions.list_sessions(db=db, user_id=other.user_id)

    await tab.fire(AccountState.ask_sign_out, theirs.id, "theirs")
    sent = await tab.fire(AccountState.sign_out_session)

    assert sent.toasts == [("error", "No such session.")]
    assert await _still_signed_in(other.session_token)


async def test_sign_out_everywhere_else_keeps_only_this_browser(member):
    others = [await _other_session(member), await _other_session(member, sessions.Client(ip="192.0.2.8", device="bot", browser=None))]
    tab = await _security_page(member)
    assert tab[AccountState].other_sessions == 2

    await tab.fire(AccountState.ask_sign_out, "", "")
    sent = await tab.fire(AccountState.sign_out_session)

    assert sent.toasts == [("success", "Signed out everywhere else")]
    assert [row["current"] for row in tab[AccountState].session_rows] == [True]
    assert [await _still_signed_in(token) for token in others] == [False, False]
    # This browser stays signed in: its cookie still renews the session.
    assert await _still_signed_in(tab.refresh_cookie)
    assert (tab[AccountState].activity[0]["what"], tab[AccountState].activity[0]["detail"]) == ("Session revoked", "all other sessions")


async def test_changing_the_password_signs_other_sessions_out_and_keeps_this_one(member):
    phone_token = await _other_session(member)
    tab = await _security_page(member)
    await tab.fire(AccountState.set_new_password, NEW_PASSWORD)

    sent = await tab.fire(AccountState.change_password, {"current_password": member.password, "new_password": NEW_PASSWORD})

    page = tab[AccountState]
    assert sent.toasts == [("success", PASSWORD_CHANGED)]
    assert (page.current_password_error, page.new_password_errors, page.password_error, page.new_password, page.changing_password) == ("", [], "", "", False)
    async with database.session() as db:
        assert (await users.authenticate(db=db, username=member.username, password=NEW_PASSWORD)).id == member.user_id
    assert not await _still_signed_in(phone_token)
    assert await _still_signed_in(tab.refresh_cookie)
    assert [row["current"] for row in page.session_rows] == [True]
    assert page.activity[0]["what"] == "Password changed"


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"current_password": WRONG_PASSWORD, "new_password": NEW_PASSWORD}, "current_password_error", "The password is not right."),
        ({"current_password": "", "new_password": NEW_PASSWORD}, "current_password_error", "Enter your current password."),
        ({"current_password": "__member__", "new_password": "Password1!"}, "new_password_errors", TOO_EASY),
        ({"current_password": "__member__", "new_password": "__member__"}, "new_password_errors", "The new password must differ from the current one."),
    ],
)
async def test_refused_password_change_says_why_at_the_field(member, form, field, message):
    tab = await _security_page(member)
    form = {key: member.password if value == "__member__" else value for key, value in form.items()}

    sent = await tab.fire(AccountState.change_password, form)

    page = tab[AccountState]
    shown = getattr(page, field)
    assert (shown[0] if isinstance(shown, list) else shown) == message
    assert sent.toasts == [] and not page.changing_password
    async with database.session() as db:
        assert await users.authenticate(db=db, username=member.username, password=member.password)


async def test_password_guesses_past_the_account_limit_are_refused_kindly(member, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN_ACCOUNT", "2/minute")
    tab = await _security_page(member)
    for _ in range(2):
        await tab.fire(AccountState.change_password, {"current_password": WRONG_PASSWORD, "new_password": NEW_PASSWORD})

    await tab.fire(AccountState.change_password, {"current_password": member.password, "new_password": NEW_PASSWORD})

    assert tab[AccountState].password_error.startswith("Too many attempts. Try again in ")
    async with database.session() as db:
        assert await users.authenticate(db=db, username=member.username, password=member.password)


async def test_new_password_strength_is_judged_as_it_is_typed(member):
    tab = await _security_page(member)

    await tab.fire(AccountState.set_new_password, "aaaaaaA1!")
    weak = tab[AccountState].new_password_rating
    await tab.fire(AccountState.set_new_password, NEW_PASSWORD)
    strong = tab[AccountState].new_password_rating

    assert weak.score < users.PASSWORD_MIN_SCORE and weak.feedback
    assert strong.score >= users.PASSWORD_MIN_SCORE and strong.feedback == ""


async def test_activity_is_newest_first_in_words_twenty_a_page(member):
    async with database.session() as db:
        audit.record(db, user_id=member.user_id, event="registered", ip="192.0.2.50")
        for n in range(24):
            audit.record(db, user_id=member.user_id, event="api_key_created", ip="192.0.2.50", detail=f"key {n}")
        await db.commit()
    tab = await _security_page(member)
    page = tab[AccountState]
    total = page.activity_total
    assert total == 25

    first = [row["detail"] for row in page.activity]
    assert len(first) == 20 and first[:2] == ["key 23", "key 22"]
    assert (page.activity[0]["what"], page.activity[0]["address"]) == ("API key created", "192.0.2.0/24")
    assert page.activity_label == f"1–20 of {total}" and page.has_older

    await tab.fire(AccountState.older_activity)
    assert page.activity_label == f"21–{total} of {total}" and not page.has_older
    assert page.activity[-1]["what"] == "Account created"
    await tab.fire(AccountState.older_activity)  # past the end: stays
    assert page.activity_page == 1
    await tab.fire(AccountState.newer_activity)
    assert [row["detail"] for row in page.activity] == first


async def test_failed_sign_ins_stand_out_in_the_activity(member):
    async with database.session() as db:
        audit.record(db, user_id=member.user_id, event="sign_in_failed", ip="203.0.113.99")
        await db.commit()

    tab = await _security_page(member)

    row = tab[AccountState].activity[0]
    assert (row["what"], row["tone"], row["address"]) == ("Sign-in failed", "red", "203.0.113.0/24")


async def test_deleting_the_account_removes_it_and_signs_the_browser_out(member):
    await make_link(member)
    tab = await _security_page(member)
    await tab.fire(AccountState.set_delete_open, True)
    await tab.fire(AccountState.set_delete_confirm, member.username)
    assert tab[AccountState].delete_ready

    sent = await tab.fire(AccountState.delete_account, {"password": member.password, "confirm_username": member.username})

    assert sent.toasts == [("success", ACCOUNT_DELETED)]
    assert sent.redirects == [] and sent.events[-1].name.endswith("auth_state.logout")  # the page drops its cookie next
    async with database.session() as db:
        assert await users.get_user(db=db, user_id=member.user_id) is None
        assert (await db.execute(select(Link).where(Link.owner_id == member.user_id))).first() is None
    signed_out = await tab.fire(AuthState.logout)
    assert signed_out.redirects == ["/login"] and tab.refresh_cookie == ""
    assert not tab[AuthState].signed_in


@pytest.mark.parametrize(
    ("password", "typed", "message"),
    [
        (WRONG_PASSWORD, "__member__", "The password is not right."),
        ("__member__", "someone_else", "Type your password, and __member__ to confirm."),
        ("", "__member__", "Type your password, and __member__ to confirm."),
    ],
)
async def test_deleting_needs_the_password_and_the_typed_username(member, password, typed, message):
    tab = await _security_page(member)
    await tab.fire(AccountState.set_delete_open, True)
    form = {"password": member.password if password == "__member__" else password, "confirm_username": member.username if typed == "__member__" else typed}
    sent = await tab.fire(AccountState.delete_account, form)

    assert tab[AccountState].delete_error == message.replace("__member__", member.username)
    assert tab[AccountState].delete_open and sent.toasts == []
    async with database.session() as db:
        assert await users.get_user(db=db, user_id=member.user_id) is not None


async def test_signed_out_tab_sees_nothing_and_changes_nothing(member):
    tab = Tab("/settings/security")
    await tab.fire(AccountState.set_tz_and_load, "UTC")
    assert (tab[AccountState].loaded, tab[AccountState].session_rows) == (False, [])

    sent = await tab.fire(AccountState.change_password, {"current_password": member.password, "new_password": NEW_PASSWORD})

    assert sent.toasts == [("error", SESSION_LAPSED)]
    async with database.session() as db:
        assert await users.authenticate(db=db, username=member.username, password=member.password)
