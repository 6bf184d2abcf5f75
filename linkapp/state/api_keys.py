"""ApiKeysState: the account's personal API keys, made and revoked from the user menu."""

from __future__ import annotations

import reflex as rx

from linkapp import db as database
from linkapp.core.errors import DomainError
from linkapp.services.accounts import api_keys
from linkapp.state.auth import AuthState, signed_in_user_id, viewer_time_zone
from linkapp.state.links import format_day

MAX_LISTED = 100


class ApiKeysState(rx.State):
    open: bool = False
    keys: list[dict] = []
    name: str = ""
    name_error: str = ""
    new_key: str = ""
    saving: bool = False

    async def _reload(self) -> bool:
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return False
        async with database.session() as db:
            items, _ = await api_keys.list_keys(db=db, user_id=user_id, limit=MAX_LISTED, offset=0)
        tz = await viewer_time_zone(self)
        self.keys = [
            {
                "id": key.id,
                "name": key.name,
                "prefix": f"{key.prefix}…",
                "created": format_day(key.created_at, tz),
                "last_used": format_day(key.last_used_at, tz) or "never",
            }
            for key in map(api_keys.to_public, items)
        ]
        return True

    @rx.event
    async def show(self):
        self.name, self.name_error, self.new_key = "", "", ""
        if await self._reload():
            self.open = True

    @rx.event
    def set_open(self, value: bool):
        self.open = value
        if not value:
            self.new_key = ""  # shown once: closing the dialog forgets it

    @rx.event
    def set_name(self, value: str):
        # Only a change clears the error: a late echo of the submitted name must not wipe the answer.
        if value != self.name:
            self.name, self.name_error = value, ""

    @rx.event
    async def create(self, form: dict | None = None):
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return
        if form:  # the submitted name wins: typed text may still be on its way through the input debounce
            self.name = str(form.get("name", self.name))
        self.saving = True
        ip = (await self.get_state(AuthState))._client_ip()
        try:
            async with database.session() as db:
                created = await api_keys.create_key(db=db, user_id=user_id, name=self.name, ip=ip)
        except DomainError as error:
            self.name_error = error.detail
            return
        finally:
            self.saving = False
        self.new_key, self.name = created.key, ""
        await self._reload()

    @rx.event
    async def revoke(self, key_id: str):
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return
        ip = (await self.get_state(AuthState))._client_ip()
        try:
            async with database.session() as db:
                await api_keys.revoke_key(db=db, user_id=user_id, public_id=key_id, ip=ip)
        except DomainError as error:
            return rx.toast.error(error.detail)
        await self._reload()
        return rx.toast.success("Key revoked: it no longer works", duration=2500)

    @rx.event
    def copy_key(self):
        return [rx.set_clipboard(self.new_key), rx.toast.success("Key copied", duration=2000)]
