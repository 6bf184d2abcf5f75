"""AccountState: the account's security page: its sessions, password, activity and closing it."""

from __future__ import annotations

import reflex as rx

from linkapp import db as database
from linkapp.core.errors import DomainError, NotAuthenticated, RateLimited, ValidationFailed
from linkapp.services.accounts import audit, passwords, sessions, users
from linkapp.services.links.closing import close_account
from linkapp.state.account_rows import event_row, session_row
from linkapp.state.auth import AuthState, learn_time_zone, signed_in_user_id, use_time_zone, viewer_time_zone

ACTIVITY_PAGE_SIZE = 20
MAX_SESSIONS = 100
PASSWORD_CHANGED = "Password changed; other sessions were signed out"
ACCOUNT_DELETED = "Your account was deleted, and your links with it."
SESSION_LAPSED = "Your session had to be renewed. Try again."


def refusal(error: DomainError) -> str:
    """What to tell a person about a refused change: the login form's words for too many attempts."""
    if isinstance(error, RateLimited):
        return f"Too many attempts. Try again in {error.retry_after} seconds."
    return error.detail


class AccountState(rx.State):
    """What /settings/security shows, and its forms."""

    loaded: bool = False
    username: str = ""
    session_rows: list[dict] = []
    # The sign-out the dialog asks about: one session (its id and words), or "" for all the others.
    confirm_open: bool = False
    confirm_session: str = ""
    confirm_label: str = ""
    activity: list[dict] = []
    activity_total: int = 0
    activity_page: int = 0
    # Change password. The current password never enters the state: the form hands it over once.
    new_password: str = ""
    current_password_error: str = ""
    new_password_errors: list[str] = []
    password_error: str = ""
    changing_password: bool = False
    # Delete account; the password, again, only arrives with the form.
    delete_open: bool = False
    delete_confirm: str = ""
    delete_error: str = ""
    deleting: bool = False

    @rx.var
    def new_password_rating(self) -> users.PasswordStrength:
        """The new password's strength as it is typed, and why it is too weak."""
        return users.password_strength(self.new_password, username=self.username)

    @rx.var
    def other_sessions(self) -> int:
        return sum(1 for row in self.session_rows if not row["current"])

    @rx.var
    def activity_label(self) -> str:
        if not self.activity_total:
            return ""
        first = self.activity_page * ACTIVITY_PAGE_SIZE + 1
        return f"{first}–{min(self.activity_total, first + ACTIVITY_PAGE_SIZE - 1)} of {self.activity_total}"

    @rx.var
    def has_older(self) -> bool:
        return (self.activity_page + 1) * ACTIVITY_PAGE_SIZE < self.activity_total

    @rx.var
    def delete_ready(self) -> bool:
        return bool(self.username) and self.delete_confirm == self.username

    async def _session(self) -> tuple[int | None, AuthState]:
        """The signed-in user's id (None once the tab's access token lapsed) and the tab's AuthState."""
        return await signed_in_user_id(self), await self.get_state(AuthState)

    async def _reload(self) -> None:
        user_id, auth = await self._session()
        if user_id is None:
            return
        tz = await viewer_time_zone(self)
        async with database.session() as db:
            listed, _ = await sessions.list_sessions(db=db, user_id=user_id, current=auth.current_session_id(), limit=MAX_SESSIONS)
            events, total = await audit.page(db, user_id=user_id, limit=ACTIVITY_PAGE_SIZE, offset=self.activity_page * ACTIVITY_PAGE_SIZE)
        # The current session first: "This browser" is what a person looks for.
        self.session_rows = [session_row(info, tz) for info in sorted(listed, key=lambda info: not info.current)]
        self.activity = [event_row(audit.public(event), tz) for event in events]
        self.activity_total = total
        self.username = auth.username
        self.loaded = True

    def _lapsed(self) -> list:
        # The tab's access token ran out (or the account went in another tab): renew, or sign in.
        return [rx.toast.error(SESSION_LAPSED), AuthState.require_login]

    @rx.event
    def load(self):
        """on_load: forget what another visit left, learn the browser's time zone, then load."""
        self.loaded, self.activity_page = False, 0
        self.new_password, self.current_password_error, self.new_password_errors, self.password_error = "", "", [], ""
        self.delete_open, self.delete_confirm, self.delete_error = False, "", ""
        self.confirm_open, self.changing_password, self.deleting = False, False, False
        return learn_time_zone(AccountState.set_tz_and_load)

    @rx.event
    async def set_tz_and_load(self, tz: str):
        await use_time_zone(self, tz)
        await self._reload()

    # Sessions.

    @rx.event
    def ask_sign_out(self, public_id: str, label: str):
        """Ask before signing `public_id` out ("" for every other session)."""
        self.confirm_session, self.confirm_label, self.confirm_open = public_id, label, True

    @rx.event
    def set_confirm_open(self, value: bool):
        self.confirm_open = value

    @rx.event
    async def sign_out_session(self):
        """The confirmed sign-out: the one session asked about, or all but this tab's."""
        self.confirm_open = False
        user_id, auth = await self._session()
        keep = auth.current_session_id()
        # Without its own session's id, "everywhere else" would include this tab.
        if user_id is None or not (self.confirm_session or keep):
            return self._lapsed()
        try:
            async with database.session() as db:
                if self.confirm_session:
                    await sessions.revoke_session(db=db, user_id=user_id, public_id=self.confirm_session, ip=auth._client_ip())
                else:
                    await sessions.revoke_other_sessions(db, user_id=user_id, keep=keep)
                    audit.record(db, user_id=user_id, event="session_revoked", ip=auth._client_ip(), detail="all other sessions")
                    await db.commit()
        except DomainError as error:
            await self._reload()
            return rx.toast.error(error.detail)
        await self._reload()
        return rx.toast.success("Session signed out" if self.confirm_session else "Signed out everywhere else", duration=2500)

    # Password.

    @rx.event
    def set_new_password(self, value: str):
        # Only a change clears the errors: a late echo of the submitted value must not wipe the answer.
        if value != self.new_password:
            self.new_password, self.new_password_errors, self.password_error = value, [], ""

    @rx.event
    def clear_current_password_error(self, _value: str = ""):
        self.current_password_error, self.password_error = "", ""

    @rx.event
    async def change_password(self, form: dict):
        """Check the current password, set the new one; every other session is signed out."""
        user_id, auth = await self._session()
        if user_id is None:
            yield self._lapsed()
            return
        self.new_password = str(form.get("new_password", self.new_password))  # the submitted value wins over a late echo
        current = str(form.get("current_password", ""))
        self.current_password_error, self.new_password_errors, self.password_error = "", [], ""
        if not current:
            self.current_password_error = "Enter your current password."
            return
        self.changing_password = True
        yield  # the button spins while the passwords are hashed
        try:
            async with database.session() as db:
                user = await users.get_user(db=db, user_id=user_id)
                if user is None:
                    yield self._lapsed()
                    return
                await passwords.change_password(
                    db=db, user=user, current_password=current, new_password=self.new_password, session=auth.current_session_id(), ip=auth._client_ip()
                )
        except NotAuthenticated as error:
            self.current_password_error = error.detail
            return
        except ValidationFailed as error:
            self.new_password_errors = [item["msg"] for item in error.errors or [] if item.get("loc", [""])[-1] == "new_password"] or [error.detail]
            return
        except DomainError as error:  # too many attempts
            self.password_error = refusal(error)
            return
        finally:
            self.changing_password = False
        self.new_password, self.activity_page = "", 0
        await self._reload()
        yield [rx.set_value("current-password", ""), rx.toast.success(PASSWORD_CHANGED, duration=4000)]

    # Activity.

    @rx.event
    async def older_activity(self):
        if (self.activity_page + 1) * ACTIVITY_PAGE_SIZE < self.activity_total:
            self.activity_page += 1
            await self._reload()

    @rx.event
    async def newer_activity(self):
        if self.activity_page > 0:
            self.activity_page -= 1
            await self._reload()

    # Delete account.

    @rx.event
    def set_delete_open(self, value: bool):
        self.delete_open, self.delete_confirm, self.delete_error = value, "", ""

    @rx.event
    def set_delete_confirm(self, value: str):
        if value != self.delete_confirm:
            self.delete_confirm, self.delete_error = value, ""

    @rx.event
    async def delete_account(self, form: dict):
        """Close the account once the password and the typed username confirm it; then sign out."""
        user_id, _auth = await self._session()
        if user_id is None:
            yield self._lapsed()
            return
        self.delete_confirm = str(form.get("confirm_username", self.delete_confirm))
        password = str(form.get("password", ""))
        if not self.username or self.delete_confirm != self.username or not password:
            self.delete_error = f"Type your password, and {self.username} to confirm."
            return
        self.deleting, self.delete_error = True, ""
        yield
        try:
            async with database.session() as db:
                user = await users.get_user(db=db, user_id=user_id)
                if user is None:
                    yield self._lapsed()
                    return
                await close_account(db=db, user=user, password=password)
        except DomainError as error:
            self.delete_error = refusal(error)
            return
        finally:
            self.deleting = False
        self.delete_open, self.loaded = False, False
        self.session_rows, self.activity, self.activity_total = [], [], 0
        # The page drops its cookie (the session itself went with the account) and goes to /login.
        yield [rx.toast.success(ACCOUNT_DELETED, duration=6000), AuthState.logout]
