"""AuthState: who is signed in.

The page signs in, renews and signs out through the REST API (`auth_calls`): the long-lived
credential is the API's HttpOnly refresh cookie, which no script can read. The state keeps only
the access token the page handed it (15 minutes), verifies it, and asks the page for a new one
before it runs out. Everything else calls the same services as the REST API, in-process.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import reflex as rx
from reflex.state import OnLoadInternalState

from linkapp import db as database
from linkapp import routes
from linkapp.core.config import settings
from linkapp.core.errors import NotAuthenticated
from linkapp.core.net import client_ip
from linkapp.core.security import access_claims
from linkapp.services.accounts import sessions, users
from linkapp.state import auth_calls
from linkapp.state.auth_calls import Answer

# Ask the page for a new access token once less than this is left of the one held; the
# keep-alive timer ticks at least twice within it, so a token never lapses in an open tab.
_LIFETIME = settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60
RENEW_MARGIN_SECONDS = min(180, _LIFETIME // 2)
KEEP_ALIVE_MS = min(60_000, RENEW_MARGIN_SECONDS * 1000 // 2)


_AS_BROWSERS_READ = str.maketrans({"\t": None, "\n": None, "\r": None, "\\": "/"})


def _safe_next(target: str) -> str:
    # Only paths on this site: never send a person to another origin after signing in. Browsers
    # drop tabs and line breaks from a URL and read a backslash as "/": "/\host" leaves the site too.
    as_read = target.translate(_AS_BROWSERS_READ)
    return target if as_read.startswith("/") and not as_read.startswith("//") else routes.INDEX


class AuthState(rx.State):
    """The signed-in user, as the access token the page last handed over says."""

    username: str = ""
    user_public_id: str = ""
    _user_id: int = 0
    _access_token: str = ""
    _access_expires_at: float = 0.0
    # The session (refresh family) the access token belongs to: the sessions list marks it.
    _session_id: str = ""
    # The viewer's IANA time zone, in which every page counts days and shows dates: the browser's,
    # learnt as each page loads (`learn_time_zone`), or the one picked on a link's page.
    time_zone: str = "UTC"

    # Sign-in and registration forms.
    form_username: str = ""
    form_password: str = ""
    username_error: str = ""
    password_errors: list[str] = []
    form_error: str = ""
    submitting: bool = False
    # The page (/login or /register) the form's messages belong to.
    _form_page: str = ""

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.username)

    @rx.var
    def password_rating(self) -> users.PasswordStrength:
        """The password's strength as it is typed, and why it is too weak: the rule's own words."""
        return users.password_strength(self.form_password, username=self.form_username)

    async def _adopt(self, answer: Answer) -> bool:
        """Take the access token of an answer from /auth/login, /register or /refresh, once it
        proves genuine (signed by us, unexpired, of a user who still exists)."""
        claims = access_claims(answer.access_token) if answer.access_token else None
        if claims is None:
            return False
        async with database.session() as db:
            try:
                user = await sessions.user_from_access_token(db=db, token=answer.access_token)
            except NotAuthenticated:
                return False
        self.username = user.username
        self.user_public_id = claims["sub"]
        self._user_id = user.id
        self._access_token = answer.access_token
        self._access_expires_at = float(claims["exp"])
        self._session_id = claims.get("sid") or ""
        return True

    def _forget(self) -> None:
        self.username = ""
        self.user_public_id = ""
        self._user_id = 0
        self._access_token = ""
        self._access_expires_at = 0.0
        self._session_id = ""

    async def current_user_id(self) -> int | None:
        """The signed-in user's id while the access token the page handed over is valid."""
        if self._access_token and time.time() < self._access_expires_at:
            return self._user_id
        return None

    def current_session_id(self) -> str:
        """The public id of this tab's session (the sessions list's `current`)."""
        return self._session_id

    def _call(self, action: str, body: dict | None, then: rx.EventHandler) -> rx.event.EventSpec:
        """Have the page POST to /api/v1/auth/`action` and hand the answer to `then`."""
        base = auth_calls.api_base(self.router.headers.origin, self.router.headers.host)
        return rx.call_script(auth_calls.call_script(base, action, body), callback=then)

    def _login_redirect(self):
        path = self.router.url.path or routes.INDEX
        return rx.redirect(f"{routes.LOGIN}?next={quote(path, safe='/')}")

    @rx.event
    async def require_login(self):
        """on_load of every signed-in page: without a valid token the page renews the session
        from its cookie (`resumed`); a visitor who has none goes to /login and back after."""
        if await self.current_user_id() is None:
            return self._call("refresh", None, AuthState.resumed)

    @rx.event
    async def resumed(self, result: dict):
        """The page renewed the session: load the page again, now signed in; else sign in."""
        if await self._adopt(Answer.of(result)):
            return OnLoadInternalState.on_load_internal
        self._forget()
        return self._login_redirect()

    @rx.event
    async def keep_alive(self, _tick: str = ""):
        """Every KEEP_ALIVE_MS on signed-in pages (and as a page wakes): renew the access token
        before it runs out."""
        if self.username and time.time() > self._access_expires_at - RENEW_MARGIN_SECONDS:
            return self._call("refresh", None, AuthState.renewed)

    @rx.event
    async def renewed(self, result: dict):
        """A renewal's answer; refused (signed out elsewhere, password changed), sign in again."""
        if not await self._adopt(Answer.of(result)):
            self._forget()
            return self._login_redirect()

    @rx.event
    async def redirect_if_signed_in(self):
        """on_load of /login and /register: messages left from the other page go. Typed values,
        and what this page's own events said, stay: a fast typist may be ahead of us (with
        several workers, this can run after a submit the page already sent). A signed-in visitor,
        or one whose browser still holds a session, goes where sign-in would have sent them."""
        if self._form_page != self.router.url.path:
            self.username_error, self.password_errors, self.form_error, self.submitting = "", [], "", False
            self._form_page = self.router.url.path
        if await self.current_user_id() is not None:
            return rx.redirect(self._next_page())
        return self._call("refresh", None, AuthState.resumed_on_form)

    @rx.event
    async def resumed_on_form(self, result: dict):
        if await self._adopt(Answer.of(result)):
            return rx.redirect(self._next_page())

    def _on_form_page(self) -> None:
        self._form_page = self.router.url.path

    @rx.event
    def set_form_username(self, value: str):
        self._on_form_page()
        self.form_username = value
        self.username_error = ""
        self.form_error = ""

    @rx.event
    def set_form_password(self, value: str):
        self._on_form_page()
        self.form_password = value
        self.password_errors = []
        self.form_error = ""

    @rx.event
    def check_username(self, _value: str = ""):
        """Inline validation on blur, with the same rules as the API."""
        self._on_form_page()
        problems = users.username_problems(self.form_username)
        self.username_error = problems[0] if problems else ""

    @rx.event
    def check_password(self, _value: str = ""):
        self._on_form_page()
        self.password_errors = users.password_problems(self.form_password, username=self.form_username) if self.form_password else []

    def _client_ip(self) -> str:
        # The API's rule: X-Forwarded-For counts only when the peer is one of TRUSTED_PROXIES.
        # Reflex's client_ip is the socket's peer (rxconfig sets no trusted_proxy_hops), and it
        # joins repeated header lines into one list as the API's dependency does.
        forwarded_for = self.router.headers.raw_headers.get("x-forwarded-for")
        return client_ip(self.router.session.client_ip, forwarded_for) or "unknown"

    def _show(self, answer: Answer) -> None:
        """A refusal, on the form: each field's errors beside it, the rest above the button."""
        fields = answer.field_errors()
        for field, message in fields:
            if field == "username":
                self.username_error = message
            elif field == "password":
                self.password_errors = [*self.password_errors, message]
            else:
                self.form_error = message
        if not fields:
            self.form_error = answer.message()

    def _take_form(self, form: dict | None) -> None:
        # The submitted values win: typed text may still be on its way through the input debounce.
        if form:
            self.form_username = str(form.get("username", self.form_username))
            self.form_password = str(form.get("password", self.form_password))

    def _next_page(self) -> str:
        """Where a signed-in visitor of /login or /register goes: `next` if it is on this site."""
        return _safe_next(self.router.url.query_parameters.get("next", routes.INDEX))

    def _submit(self, action: str, form: dict | None):
        self._on_form_page()
        self._take_form(form)
        self.username_error, self.password_errors, self.form_error = "", [], ""
        self.submitting = True
        # The browser sends the refresh cookie along: a session of this account's spares its
        # owner the per-account sign-in limit.
        return self._call(action, {"username": self.form_username, "password": self.form_password}, AuthState.answered)

    @rx.event
    async def login(self, form: dict | None = None):
        self._on_form_page()
        self._take_form(form)
        if not self.form_username or not self.form_password:
            self.username_error, self.password_errors = "", []
            self.form_error = "Enter your username and password."
            return
        return self._submit("login", form)

    @rx.event
    async def register(self, form: dict | None = None):
        return self._submit("register", form)

    @rx.event
    async def answered(self, result: dict):
        """The API's answer to the form: signed in (go on), or why not (on the form)."""
        answer = Answer.of(result)
        self.submitting = False
        if answer.ok and await self._adopt(answer):
            self.form_password = ""
            return rx.redirect(self._next_page())
        self._show(answer)

    @rx.event
    async def logout(self):
        """Sign out: the page asks the API to revoke the session and drop its cookie."""
        return self._call("logout", None, AuthState.signed_out)

    @rx.event
    async def signed_out(self, _result: dict | None = None):
        self._forget()
        self.form_password = ""
        return rx.redirect(routes.LOGIN)


async def signed_in_user_id(state: rx.State) -> int | None:
    """For other states: the signed-in user's id while the tab's access token is valid, else None."""
    auth_state = await state.get_state(AuthState)
    return await auth_state.current_user_id()


# What a page asks the browser for as it loads: its IANA time zone.
TIME_ZONE_SCRIPT = "Intl.DateTimeFormat().resolvedOptions().timeZone"


def learn_time_zone(then: rx.EventHandler) -> rx.event.EventSpec:
    """For a page's on_load: ask the browser its time zone and call `then(tz)`, which keeps it with `use_time_zone`."""
    return rx.call_script(TIME_ZONE_SCRIPT, callback=then)


async def use_time_zone(state: rx.State, tz: str) -> str:
    """For other states: make `tz` the viewer's time zone (UTC when empty) and return it."""
    auth_state = await state.get_state(AuthState)
    auth_state.time_zone = tz or "UTC"
    return auth_state.time_zone


async def viewer_time_zone(state: rx.State) -> str:
    """For other states: the viewer's time zone, the one every page counts days and shows dates in."""
    return (await state.get_state(AuthState)).time_zone
