"""WebhooksState: the account's webhooks page: its hooks, the new/edit form, the secret shown once,
and a hook's delivery attempts."""

from __future__ import annotations

import reflex as rx
from pydantic import ValidationError

from linkapp import db as database
from linkapp.core.errors import DomainError, ValidationFailed
from linkapp.models.webhook import WebhookUpdate
from linkapp.services.webhooks import events as webhook_events
from linkapp.services.webhooks import hooks
from linkapp.state.auth import AuthState, learn_time_zone, signed_in_user_id, use_time_zone, viewer_time_zone
from linkapp.state.webhook_rows import delivery_row, hook_row

DELIVERIES_PAGE_SIZE = 20
FORM_FIELDS = ("url", "events", "description")
TEST_QUEUED = "Test event queued: it is delivered in a few seconds"
SESSION_LAPSED = "Your session had to be renewed. Try again."


class WebhooksState(rx.State):
    """What /settings/webhooks shows, and its dialogs."""

    loaded: bool = False
    hooks: list[dict] = []
    # New or edit (editing_id set); the URL and description also arrive with the form's submit.
    form_open: bool = False
    editing_id: str = ""
    original_url: str = ""
    url: str = ""
    events: list[str] = []
    description: str = ""
    errors: dict[str, str] = {}
    form_error: str = ""
    saving: bool = False
    # The new hook's secret: shown once, forgotten when its dialog closes.
    secret: str = ""
    secret_open: bool = False
    delete_open: bool = False
    delete_id: str = ""
    delete_url: str = ""
    deliveries_open: bool = False
    deliveries_id: str = ""
    deliveries_url: str = ""
    deliveries: list[dict] = []
    deliveries_total: int = 0
    deliveries_page: int = 0

    @rx.var
    def url_error(self) -> str:
        return self.errors.get("url", "")

    @rx.var
    def events_error(self) -> str:
        return self.errors.get("events", "")

    @rx.var
    def description_error(self) -> str:
        return self.errors.get("description", "")

    @rx.var
    def deliveries_label(self) -> str:
        if not self.deliveries_total:
            return ""
        first = self.deliveries_page * DELIVERIES_PAGE_SIZE + 1
        return f"{first}–{min(self.deliveries_total, first + DELIVERIES_PAGE_SIZE - 1)} of {self.deliveries_total}"

    @rx.var
    def has_older_deliveries(self) -> bool:
        return (self.deliveries_page + 1) * DELIVERIES_PAGE_SIZE < self.deliveries_total

    async def _reload(self) -> int | None:
        """Load the hooks (all of them: an account has at most MAX_HOOKS); the user's id, or None once the session lapsed."""
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return None
        tz = await viewer_time_zone(self)
        async with database.session() as db:
            listed, _ = await hooks.list_hooks(db=db, user_id=user_id, limit=hooks.MAX_HOOKS, offset=0)
        self.hooks = [hook_row(hooks.to_public(hook), tz) for hook in listed]
        self.loaded = True
        return user_id

    async def _reload_deliveries(self) -> None:
        user_id = await signed_in_user_id(self)
        if user_id is None or not self.deliveries_id:
            return
        tz = await viewer_time_zone(self)
        offset = self.deliveries_page * DELIVERIES_PAGE_SIZE
        async with database.session() as db:
            items, total = await hooks.list_deliveries(db=db, user_id=user_id, public_id=self.deliveries_id, limit=DELIVERIES_PAGE_SIZE, offset=offset)
        self.deliveries = [delivery_row(item, tz) for item in items]
        self.deliveries_total = total

    def _lapsed(self) -> list:
        return [rx.toast.error(SESSION_LAPSED), AuthState.require_login]

    @rx.event
    def load(self):
        """on_load: forget what another visit left, learn the browser's time zone, then load."""
        self.loaded, self.form_open, self.secret, self.secret_open = False, False, "", False
        self.delete_open, self.deliveries_open, self.deliveries_id = False, False, ""
        return learn_time_zone(WebhooksState.set_tz_and_load)

    @rx.event
    async def set_tz_and_load(self, tz: str):
        await use_time_zone(self, tz)
        await self._reload()

    # New and edit.

    def _reset_form(self) -> None:
        self.editing_id, self.original_url, self.url, self.events, self.description = "", "", "", [], ""
        self.errors, self.form_error, self.saving = {}, "", False

    @rx.event
    def open_create(self):
        self._reset_form()
        self.form_open = True

    @rx.event
    def open_edit(self, public_id: str):
        row = next((row for row in self.hooks if row["id"] == public_id), None)
        if row is None:
            return rx.toast.error(hooks.NOT_FOUND)
        self._reset_form()
        self.editing_id, self.original_url, self.url = public_id, row["url"], row["url"]
        self.events, self.description = list(row["events"]), row["description"]
        self.form_open = True

    @rx.event
    def set_form_open(self, value: bool):
        self.form_open = value

    @rx.event
    def set_url(self, value: str):
        # Only a change clears the error: a late echo of the submitted value must not wipe the answer.
        if value != self.url:
            self.url, self.errors = value, {key: msg for key, msg in self.errors.items() if key != "url"}

    @rx.event
    def set_description(self, value: str):
        if value != self.description:
            self.description, self.errors = value, {key: msg for key, msg in self.errors.items() if key != "description"}

    @rx.event
    def toggle_event(self, name: str, checked: bool):
        if name in webhook_events.EVENTS:
            chosen = set(self.events) | {name} if checked else set(self.events) - {name}
            self.events = [event for event in webhook_events.EVENTS if event in chosen]
            self.errors = {key: msg for key, msg in self.errors.items() if key != "events"}

    async def _save(self, user_id: int, ip: str) -> str | None:
        """Create or change the hook; the new hook's secret (None when one was edited)."""
        async with database.session() as db:
            if not self.editing_id:
                created = await hooks.create_hook(db=db, user_id=user_id, url=self.url, events=self.events, description=self.description, ip=ip)
                return created.secret
            # An unchanged URL is not checked again (its host need not resolve to save the events).
            changed = {"events": self.events, "description": self.description} | ({"url": self.url} if self.url != self.original_url else {})
            await hooks.update_hook(db=db, user_id=user_id, public_id=self.editing_id, hook_in=WebhookUpdate(**changed))
            return None

    @rx.event
    async def save(self, form: dict | None = None):
        """Create the hook (then show its secret once), or save the edited one; errors go to their field."""
        if form:  # the submitted values win: typed text may still be on its way through the input debounce
            self.url, self.description = str(form.get("url", self.url)).strip(), str(form.get("description", self.description))
        user_id = await signed_in_user_id(self)
        if user_id is None:
            yield self._lapsed()
            return
        ip = (await self.get_state(AuthState))._client_ip()
        self.errors, self.form_error, self.saving = {}, "", True
        yield  # the button spins while the URL's host is resolved
        try:
            secret = await self._save(user_id, ip)
        except ValidationError as error:
            self.errors = {str(item["loc"][0]): item["msg"] for item in error.errors() if item.get("loc") and item["loc"][0] in FORM_FIELDS}
            self.form_error = "" if self.errors else "Check the fields."
            return
        except ValidationFailed as error:
            self.errors = {str(item["loc"][-1]): item["msg"] for item in error.errors or [] if item.get("loc") and item["loc"][-1] in FORM_FIELDS}
            self.form_error = "" if self.errors else error.detail
            return
        except DomainError as error:
            self.form_error = error.detail
            return
        finally:
            self.saving = False
        edited = bool(self.editing_id)
        self.form_open = False
        self._reset_form()
        await self._reload()
        if edited:
            yield rx.toast.success("Webhook saved", duration=2500)
        else:
            self.secret, self.secret_open = secret or "", True

    @rx.event
    def set_secret_open(self, value: bool):
        self.secret_open = value
        if not value:
            self.secret = ""  # shown once: closing the dialog forgets it

    @rx.event
    def copy_secret(self):
        return [rx.set_clipboard(self.secret), rx.toast.success("Secret copied", duration=2000)]

    # Per hook.

    @rx.event
    async def set_enabled(self, public_id: str, enabled: bool):
        """The switch: enable (a fresh start: no longer failing) or disable the hook."""
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return self._lapsed()
        try:
            async with database.session() as db:
                await hooks.update_hook(db=db, user_id=user_id, public_id=public_id, hook_in=WebhookUpdate(disabled=not enabled))
        except DomainError as error:
            await self._reload()
            return rx.toast.error(error.detail)
        await self._reload()
        return rx.toast.success("Webhook enabled" if enabled else "Webhook disabled: it gets no events", duration=2500)

    @rx.event
    async def send_test(self, public_id: str):
        """Owe the hook a `ping` event; the deliveries view shows how it went."""
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return self._lapsed()
        try:
            async with database.session() as db:
                await hooks.send_test(db=db, user_id=user_id, public_id=public_id)
        except DomainError as error:
            return rx.toast.error(error.detail)
        return rx.toast.success(TEST_QUEUED, duration=3000)

    @rx.event
    def ask_delete(self, public_id: str, url: str):
        self.delete_id, self.delete_url, self.delete_open = public_id, url, True

    @rx.event
    def set_delete_open(self, value: bool):
        self.delete_open = value

    @rx.event
    async def delete(self):
        """The confirmed deletion: the hook, the events still owed to it and its log."""
        self.delete_open = False
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return self._lapsed()
        ip = (await self.get_state(AuthState))._client_ip()
        try:
            async with database.session() as db:
                await hooks.delete_hook(db=db, user_id=user_id, public_id=self.delete_id, ip=ip)
        except DomainError as error:
            await self._reload()
            return rx.toast.error(error.detail)
        await self._reload()
        return rx.toast.success("Webhook deleted", duration=2500)

    # Deliveries.

    @rx.event
    async def show_deliveries(self, public_id: str, url: str):
        self.deliveries_id, self.deliveries_url, self.deliveries_page = public_id, url, 0
        self.deliveries, self.deliveries_total = [], 0
        try:
            await self._reload_deliveries()
        except DomainError as error:
            return rx.toast.error(error.detail)
        self.deliveries_open = True

    @rx.event
    def set_deliveries_open(self, value: bool):
        self.deliveries_open = value

    @rx.event
    async def refresh_deliveries(self, _value: str = ""):
        """The open view's clock: new attempts appear, and the list's last status with them."""
        if not self.deliveries_open:
            return
        try:
            await self._reload_deliveries()
        except DomainError:  # deleted in another tab
            self.deliveries_open = False
        await self._reload()

    @rx.event
    async def older_deliveries(self):
        if (self.deliveries_page + 1) * DELIVERIES_PAGE_SIZE < self.deliveries_total:
            self.deliveries_page += 1
            await self._reload_deliveries()

    @rx.event
    async def newer_deliveries(self):
        if self.deliveries_page > 0:
            self.deliveries_page -= 1
            await self._reload_deliveries()
