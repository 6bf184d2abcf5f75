"""AuthState: who is signed in. Calls the same user and session services as the REST API."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from functools import partial
from urllib.parse import quote

import reflex as rx

from linkapp import db as database
from linkapp import routes
from linkapp.core.config import settings
from linkapp.core.errors import DomainError, NotAuthenticated, RateLimited, ValidationFailed
from linkapp.core.net import client_ip
from linkapp.core.security import decode_access_token
from linkapp.services.accounts import sessions, users
from linkapp.services.accounts.sessions import Session
from linkapp.services.accounts.sign_in import SignedIn, sign_in, sign_up

# Renew the access token this long before it expires.
RENEW_MARGIN_SECONDS = 60


_AS_BROWSERS_READ = str.maketrans({"\t": None, "\n": None, "\r": None, "\\": "/"})


def _safe_next(target: str) -> str:
    # Only paths on this site: never send a person to another origin after signing in. Browsers
    # drop tabs and line breaks from a URL and read a backslash as "/": "/\host" leaves the site too.
    as_read = target.translate(_AS_BROWSERS_READ)
    return target if as_read.startswith("/") and not as_read.startswith("//") else routes.INDEX


class AuthState(rx.State):
    """The signed-in user. The refresh token lives in a cookie so a session survives reloads
    and browser restarts; the access token stays on the server and is renewed silently."""

    session_token: str = rx.Cookie(
        "", name="linkapp_session", path="/", max_age=settings.REFRESH_TOKEN_EXPIRE_DAYS * 86400, same_site="lax", secure=settings.secure_cookies
    )
    username: str = ""
    user_public_id: str = ""
    _user_id: int = 0
    _access_token: str = ""
    _access_expires_at: float = 0.0
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

    def _adopt(self, session: Session) -> None:
        self.session_token = session.refresh_token
        self.username = session.user.username
        self.user_public_id = session.public()["id"]
        self._user_id = session.user.id
        self._access_token = session.access.token
        self._access_expires_at = time.time() + session.access.expires_in

    def _forget(self) -> None:
        self.session_token = ""
        self.username = ""
        self.user_public_id = ""
        self._user_id = 0
        self._access_token = ""
        self._access_expires_at = 0.0

    async def current_user_id(self) -> int | None:
        """The signed-in user's id, renewing the access token from the refresh cookie if needed."""
        if self._access_token and time.time() < self._access_expires_at - RENEW_MARGIN_SECONDS:
            if decode_access_token(self._access_token):
                return self._user_id
        if not self.session_token:
            self._forget()
            return None
        async with database.session() as db:
            try:
                self._adopt(await sessions.resume_session(db=db, refresh_token=self.session_token))
            except NotAuthenticated:
                self._forget()
                return None
        return self._user_id

    def _login_redirect(self):
        path = self.router.url.path or routes.INDEX
        return rx.redirect(f"{routes.LOGIN}?next={quote(path, safe='/')}")

    @rx.event
    async def require_login(self):
        """on_load of every signed-in page: a signed-out visitor goes to /login and back after."""
        if await self.current_user_id() is None:
            return self._login_redirect()

    @rx.event
    async def redirect_if_signed_in(self):
        """on_load of /login and /register: messages left from the other page go. Typed values,
        and what this page's own events said, stay: a fast typist may be ahead of us (with
        several workers, this can run after a submit the page already sent). A signed-in visitor
        goes where sign-in would have sent them: that late run must not undo the submit's `next`."""
        if self._form_page != self.router.url.path:
            self.username_error, self.password_errors, self.form_error, self.submitting = "", [], "", False
            self._form_page = self.router.url.path
        if self.session_token and await self.current_user_id() is not None:
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

    def _show(self, error: DomainError) -> None:
        if isinstance(error, ValidationFailed):
            for item in error.errors or []:
                field = item["loc"][-1] if item.get("loc") else ""
                if field == "username":
                    self.username_error = item["msg"]
                elif field == "password":
                    self.password_errors = [*self.password_errors, item["msg"]]
                else:
                    self.form_error = item["msg"]
        elif isinstance(error, RateLimited):
            self.form_error = f"Too many attempts. Try again in {error.retry_after} seconds."
        else:
            self.form_error = error.detail

    def _take_form(self, form: dict | None) -> None:
        # The submitted values win: typed text may still be on its way through the input debounce.
        if form:
            self.form_username = str(form.get("username", self.form_username))
            self.form_password = str(form.get("password", self.form_password))

    def _next_page(self) -> str:
        """Where a signed-in visitor of /login or /register goes: `next` if it is on this site."""
        return _safe_next(self.router.url.query_parameters.get("next", routes.INDEX))

    def _after_sign_in(self):
        self.form_password = ""
        return rx.redirect(self._next_page())

    async def _sign_in(self, begin: Callable[..., Awaitable[SignedIn]]) -> bool:
        """Sign in with `begin` (the services' `sign_in` or `sign_up`) and the form's values; errors go to the form."""
        try:
            async with database.session() as db:
                signed_in = await begin(db=db, ip=self._client_ip(), username=self.form_username, password=self.form_password)
        except DomainError as error:
            self._show(error)
            return False
        self._adopt(signed_in.session)
        return True

    @rx.event
    async def login(self, form: dict | None = None):
        self._on_form_page()
        self._take_form(form)
        self.username_error, self.password_errors, self.form_error = "", [], ""
        if not self.form_username or not self.form_password:
            self.form_error = "Enter your username and password."
            return
        self.submitting = True
        yield
        # A session cookie issued to this account spares its owner the per-account limit.
        ok = await self._sign_in(partial(sign_in, refresh_token=self.session_token))
        self.submitting = False
        if ok:
            yield self._after_sign_in()

    @rx.event
    async def register(self, form: dict | None = None):
        self._on_form_page()
        self._take_form(form)
        self.username_error, self.password_errors, self.form_error = "", [], ""
        self.submitting = True
        yield
        ok = await self._sign_in(sign_up)
        self.submitting = False
        if ok:
            yield self._after_sign_in()

    @rx.event
    async def logout(self):
        """Sign out: the session's refresh tokens are revoked, not just forgotten."""
        async with database.session() as db:
            await sessions.end_session(db=db, refresh_token=self.session_token)
        self._forget()
        self.form_password = ""
        return rx.redirect(routes.LOGIN)


async def signed_in_user_id(state: rx.State) -> int | None:
    """For other states: the signed-in user's id (renewing the session if needed), else None."""
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
