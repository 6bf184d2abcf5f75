"""AuthState: signing in and out, registering, and sending signed-out visitors to the login page."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import reflex as rx

from linkapp import db as database
from linkapp.core.config import settings
from linkapp.services.accounts import users
from linkapp.state.auth import AuthState
from tests.factories import PASSWORD
from tests.state.conftest import Tab, make_member, tab_with_session

WRONG_PASSWORD = "Not-The-Password-1"
TOO_MANY = re.compile(r"Too many attempts\. Try again in \d+ seconds\.")


def _client_stored(state_cls) -> list[str]:
    """The vars of `state_cls` and its substates that live in the browser (cookies, local storage)."""
    own = [f"{state_cls.__name__}.{name}" for name in state_cls.get_fields() if state_cls._is_client_storage(name)]
    return own + [name for sub in state_cls.get_substates() for name in _client_stored(sub)]


def _login_page(next_path: str | None = None, **connection) -> Tab:
    return Tab("/login" + (f"?next={quote(next_path, safe='')}" if next_path is not None else ""), **connection)


async def test_login_with_the_right_password_signs_in_and_goes_back(member):
    tab = _login_page("/links/abc")

    sent = await tab.fire(AuthState.login, {"username": member.username.upper(), "password": member.password})

    auth = tab[AuthState]
    assert sent.redirects == ["/links/abc"]
    assert (auth.signed_in, auth.username, auth.form_error) == (True, member.username, "")
    # The refresh cookie the API set opens the dashboard in another tab of the same browser...
    other = tab_with_session(tab.refresh_cookie)
    assert (await other.fire(AuthState.require_login)).redirects == [] and other[AuthState].username == member.username
    # ...and no state keeps anything in the browser where a script could read it.
    assert _client_stored(rx.State) == []


@pytest.mark.parametrize("username", ["known", "nobody_here"])
async def test_login_with_a_wrong_password_or_name_says_one_thing(member, username):
    tab = _login_page()

    sent = await tab.fire(AuthState.login, {"username": member.username if username == "known" else username, "password": WRONG_PASSWORD})

    auth = tab[AuthState]
    assert sent.redirects == []
    assert auth.form_error == "Incorrect username or password."
    assert (auth.username_error, auth.password_errors, auth.signed_in, auth.submitting) == ("", [], False, False)


@pytest.mark.parametrize("form", [{"username": "", "password": ""}, {"username": "someone", "password": ""}, {"username": "", "password": "Secret-1!"}])
async def test_login_with_an_empty_field_asks_for_both(tab, form):
    tab.visit("/login")

    sent = await tab.fire(AuthState.login, form)

    assert sent.redirects == []
    assert tab[AuthState].form_error == "Enter your username and password."


async def test_login_after_too_many_attempts_is_refused_kindly(member, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN", "3/minute")
    tab = _login_page(ip="198.51.100.7")
    for _ in range(3):
        await tab.fire(AuthState.login, {"username": member.username, "password": WRONG_PASSWORD})
        assert tab[AuthState].form_error == "Incorrect username or password."

    sent = await tab.fire(AuthState.login, {"username": member.username, "password": member.password})  # right, but too late

    assert sent.redirects == []
    assert TOO_MANY.fullmatch(tab[AuthState].form_error), tab[AuthState].form_error
    assert not tab[AuthState].signed_in
    # The limit is this address's, for this name: the owner elsewhere, or a colleague here, gets in.
    elsewhere = _login_page(ip="192.0.2.44")
    assert (await elsewhere.fire(AuthState.login, {"username": member.username, "password": member.password})).redirects == ["/"]
    colleague = await make_member()
    here = _login_page(ip="198.51.100.7")
    assert (await here.fire(AuthState.login, {"username": colleague.username, "password": colleague.password})).redirects == ["/"]


async def _spend_the_account_limit(member, guesses: int) -> None:
    for n in range(guesses):
        tab = _login_page(ip=f"198.51.100.{80 + n}")
        await tab.fire(AuthState.login, {"username": member.username, "password": WRONG_PASSWORD})
        assert tab[AuthState].form_error == "Incorrect username or password."


async def test_login_past_the_account_limit_is_refused_but_the_owners_browser_gets_in(member, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN_ACCOUNT", "2/hour")
    await _spend_the_account_limit(member, guesses=2)
    stranger = _login_page(ip="192.0.2.60")

    await stranger.fire(AuthState.login, {"username": member.username, "password": member.password})

    assert TOO_MANY.fullmatch(stranger[AuthState].form_error), stranger[AuthState].form_error
    # The owner's browser holds their session cookie: the name's limit does not stop it.
    owners = tab_with_session(member.session_token, "/login", ip="192.0.2.61")
    sent = await owners.fire(AuthState.login, {"username": member.username, "password": member.password})
    assert sent.redirects == ["/"] and owners[AuthState].signed_in and owners[AuthState].form_error == ""


async def test_login_with_another_users_session_cookie_is_still_refused(member, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_LOGIN_ACCOUNT", "2/hour")
    guesser = await make_member()
    await _spend_the_account_limit(member, guesses=2)
    tab = tab_with_session(guesser.session_token, "/login", ip="192.0.2.62")

    sent = await tab.fire(AuthState.login, {"username": member.username, "password": member.password})

    assert sent.redirects == [] and TOO_MANY.fullmatch(tab[AuthState].form_error), tab[AuthState].form_error


@pytest.mark.parametrize(
    ("next_path", "lands_on"),
    [
        (None, "/"),
        ("/", "/"),
        ("/links/abc?from=mail", "/links/abc?from=mail"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("javascript:alert(1)", "/"),
        # Browsers read a backslash as a slash, and drop tabs and newlines, in a path: both of
        # these would leave the site.
        ("/\\evil.example/phish", "/"),
        ("/\t/evil.example/phish", "/"),
    ],
)
async def test_login_goes_to_next_only_on_this_site(member, next_path, lands_on):
    tab = _login_page(next_path)

    sent = await tab.fire(AuthState.login, {"username": member.username, "password": member.password})

    assert sent.redirects == [lands_on]


async def test_register_shows_what_is_wrong_at_each_field(tab):
    tab.visit("/register")

    sent = await tab.fire(AuthState.register, {"username": "ab", "password": "password"})

    auth = tab[AuthState]
    assert sent.redirects == []
    assert "3 to 20 characters" in auth.username_error
    assert "Password needs an upper-case letter." in auth.password_errors
    assert not auth.signed_in
    async with database.session() as db:
        assert await users.get_user_by_username(db=db, username="ab") is None


async def test_register_with_a_taken_name_says_so(member, tab):
    tab.visit("/register")

    sent = await tab.fire(AuthState.register, {"username": member.username.upper(), "password": member.password})

    assert sent.redirects == []
    assert "taken" in tab[AuthState].form_error
    assert not tab[AuthState].signed_in


async def test_register_signs_the_newcomer_in_on_the_dashboard(tab):
    tab.visit("/register")

    sent = await tab.fire(AuthState.register, {"username": "state_newcomer", "password": "Tr1cky-Lemur-Path"})

    assert sent.redirects == ["/"]
    assert (tab[AuthState].signed_in, tab[AuthState].username) == (True, "state_newcomer")
    async with database.session() as db:
        assert await users.authenticate(db=db, username="state_newcomer", password="Tr1cky-Lemur-Path")


async def test_register_fields_are_checked_as_the_visitor_leaves_them(tab):
    tab.visit("/register")
    auth = tab[AuthState]

    await tab.fire(AuthState.set_form_username, "ab")
    await tab.fire(AuthState.check_username, "ab")
    await tab.fire(AuthState.set_form_password, "short")
    await tab.fire(AuthState.check_password, "short")
    assert "3 to 20 characters" in auth.username_error
    assert auth.password_errors == ["Password must be at least 8 characters."]

    await tab.fire(AuthState.set_form_username, "good_name")
    await tab.fire(AuthState.check_username, "good_name")
    assert auth.username_error == ""


async def test_logout_revokes_the_session_not_just_the_cookie(member):
    tab = tab_with_session(member.session_token)
    assert (await tab.fire(AuthState.require_login)).redirects == []

    sent = await tab.fire(AuthState.logout)

    assert sent.redirects == ["/login"]
    assert (tab[AuthState].signed_in, tab.refresh_cookie) == (False, "")
    # A copy of the cookie taken before signing out no longer opens the dashboard.
    stolen = tab_with_session(member.session_token)
    assert (await stolen.fire(AuthState.require_login)).redirects == ["/login?next=/"]


async def test_signed_out_visitor_is_sent_to_login_and_back(tab):
    tab.visit("/links/abc")
    assert (await tab.fire(AuthState.require_login)).redirects == ["/login?next=/links/abc"]


async def test_login_page_sends_a_signed_in_visitor_home(member):
    tab = tab_with_session(member.session_token, "/login")
    assert (await tab.fire(AuthState.redirect_if_signed_in)).redirects == ["/"]


async def test_login_page_sends_a_signed_in_visitor_to_next(member):
    # With several workers the page's on_load can run after its own sign-in: it must agree with it.
    tab = tab_with_session(member.session_token, "/login?next=/links/abc")
    assert (await tab.fire(AuthState.redirect_if_signed_in)).redirects == ["/links/abc"]
    tab.visit("/login?next=//evil.example")
    assert (await tab.fire(AuthState.redirect_if_signed_in)).redirects == ["/"]


async def test_register_form_says_why_a_password_is_too_weak_as_it_is_typed(tab):
    tab.visit("/register")
    auth = tab[AuthState]
    await tab.fire(AuthState.set_form_username, "zorblax_quimby")

    await tab.fire(AuthState.set_form_password, "Zorblax_quimby1!")

    # While typing: the meter stays low and says why, in the words the form will refuse it with.
    assert auth.password_rating.score < users.PASSWORD_MIN_SCORE
    assert "built on your username" in auth.password_rating.feedback
    await tab.fire(AuthState.check_password, "Zorblax_quimby1!")
    assert auth.password_errors == [f"This password is too easy to guess. {auth.password_rating.feedback}"]

    await tab.fire(AuthState.set_form_password, "Zorblax-Kettle-Fjord9")
    assert auth.password_rating.score >= users.PASSWORD_MIN_SCORE and auth.password_rating.feedback == ""
    await tab.fire(AuthState.check_password, "Zorblax-Kettle-Fjord9")
    assert auth.password_errors == []


async def test_register_form_rates_a_password_longer_than_zxcvbn_takes(tab):
    # zxcvbn refuses more than 72 characters: the meter judged the whole password and failed.
    tab.visit("/register")
    await tab.fire(AuthState.set_form_password, PASSWORD + "x" * 86)
    assert tab[AuthState].password_rating.score >= users.PASSWORD_MIN_SCORE


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("Summer2024!", "This password is too easy to guess. This is similar to a commonly used password."),
        ("Corr3ct\x00Horse!", "must not contain control characters"),
    ],
)
async def test_register_with_a_refused_password_shows_why_and_stores_nothing(tab, password, says):
    tab.visit("/register")

    sent = await tab.fire(AuthState.register, {"username": "state_weakling", "password": password})

    auth = tab[AuthState]
    assert sent.redirects == [] and not auth.signed_in
    assert len(auth.password_errors) == 1 and says in auth.password_errors[0], auth.password_errors
    async with database.session() as db:
        assert await users.get_user_by_username(db=db, username="state_weakling") is None
