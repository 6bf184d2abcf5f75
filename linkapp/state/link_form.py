"""LinkFormState: the create, edit and delete dialogs. Errors show at the field they concern."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx
from pydantic import ValidationError

from linkapp import db as database
from linkapp.core.errors import DomainError, ValidationFailed
from linkapp.models.link import LinkCreate, LinkUpdate
from linkapp.services.links import service as link_service
from linkapp.state.auth import AuthState, signed_in_user_id, viewer_time_zone
from linkapp.state.links import LinksState

FIELDS = ("url", "title", "slug", "tags", "expires_at", "max_clicks", "redirect_status", "fallback_url")
# "name:" or "name://" at the start: a scheme, unless what follows the colon is a port number.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d+(?:[/?#]|$))")


def with_scheme(text: str) -> str:
    """What a person typed as a URL, with `https://` added when they left the scheme out
    (`example.com/x`, `example.com:8080/x`, `//example.com/x`).

    Only the form does this: the API asks for an absolute URL. Another scheme (`javascript:`,
    `mailto:`) stays, for the links service to refuse.
    """
    text = text.strip()
    if not text or _SCHEME.match(text):
        return text
    return "https://" + text.removeprefix("//")


def local_to_utc(value: str, tz: str) -> datetime | None:
    """A `datetime-local` input's value, read in the viewer's time zone."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(tz))
    except ValueError as exc:
        raise ValidationFailed("Enter a valid date and time.", field="expires_at") from exc


def optional_int(value: str, field: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValidationFailed("Enter a whole number.", field=field) from exc


class LinkFormState(rx.State):
    open: bool = False
    editing_id: str = ""
    url: str = ""
    title: str = ""
    slug: str = ""
    tags: str = ""
    expires_at: str = ""
    max_clicks: str = ""
    redirect_status: str = "default"
    fallback_url: str = ""
    disabled: bool = False
    # The edited link's generated code, and whether its custom code field shows instead.
    automatic_code: str = ""
    custom_code: bool = False
    errors: dict[str, str] = {}
    form_error: str = ""
    saving: bool = False
    delete_open: bool = False
    delete_id: str = ""
    delete_title: str = ""

    @rx.var
    def editing(self) -> bool:
        return bool(self.editing_id)

    @rx.var
    def shows_slug_field(self) -> bool:
        """A new link offers the custom code field; an edited one shows its automatic code as
        such until the person asks for a custom one (or has one)."""
        return not self.editing_id or self.custom_code

    def _reset(self) -> None:
        self.editing_id, self.url, self.title, self.slug, self.tags = "", "", "", "", ""
        self.expires_at, self.max_clicks, self.redirect_status, self.disabled = "", "", "default", False
        self.fallback_url = ""
        self.automatic_code, self.custom_code = "", False
        self.errors, self.form_error, self.saving = {}, "", False

    @rx.event
    def open_create(self):
        self._reset()
        self.open = True

    @rx.event
    async def open_edit(self, public_id: str):
        self._reset()
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return
        tz = await viewer_time_zone(self)
        try:
            async with database.session() as db:
                link = await link_service.get_public_link(db=db, owner_id=user_id, public_id=public_id)
        except DomainError as error:
            return rx.toast.error(error.detail)
        self.editing_id = link.id
        self.url, self.title, self.slug = link.url, link.title, link.slug or ""
        self.tags = ", ".join(link.tags)
        self.expires_at = link.expires_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M") if link.expires_at else ""
        self.max_clicks = str(link.max_clicks or "")
        self.redirect_status = str(link.redirect_status) if link.redirect_status else "default"
        self.fallback_url = link.fallback_url or ""
        self.automatic_code, self.custom_code = link.id, bool(link.slug)
        self.disabled = link.disabled
        self.open = True

    @rx.event
    def set_open(self, value: bool):
        self.open = value

    @rx.event
    def set_field(self, field: str, value: str):
        if field in FIELDS:
            setattr(self, field, value)
            self.errors = {key: msg for key, msg in self.errors.items() if key != field}

    @rx.event
    def set_disabled(self, value: bool):
        self.disabled = bool(value)

    @rx.event
    def use_custom_code(self):
        self.custom_code = True

    @rx.event
    def use_automatic_code(self):
        """Back to the generated code: saved, the custom one no longer leads here."""
        self.custom_code, self.slug = False, ""
        self.errors = {key: msg for key, msg in self.errors.items() if key != "slug"}

    def _fields(self, tz: str) -> dict:
        return {
            "url": with_scheme(self.url),
            "title": self.title.strip() or None,
            "slug": (self.slug.strip() or None) if not self.editing_id or self.custom_code else None,
            "tags": [tag for tag in (part.strip() for part in self.tags.split(",")) if tag],
            "expires_at": local_to_utc(self.expires_at.strip(), tz),
            "max_clicks": optional_int(self.max_clicks, "max_clicks"),
            "redirect_status": None if self.redirect_status == "default" else optional_int(self.redirect_status, "redirect_status"),
            "fallback_url": with_scheme(self.fallback_url) or None,
        }

    @rx.event
    async def save(self, form: dict | None = None):
        # The submitted values win: typed text may still be on its way through the input debounce.
        for field in FIELDS:
            if form and field in form:
                setattr(self, field, str(form[field]))
        # Shown as saved: "example.com" reads "https://example.com" if the save fails.
        self.url, self.fallback_url = with_scheme(self.url), with_scheme(self.fallback_url)
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return
        links, tz = await self.get_state(LinksState), await viewer_time_zone(self)
        self.errors, self.form_error, self.saving = {}, "", True
        yield
        try:
            fields = self._fields(tz)
            async with database.session() as db:
                if self.editing_id:
                    await link_service.update_link(db=db, owner_id=user_id, public_id=self.editing_id, link_in=LinkUpdate(**fields, disabled=self.disabled))
                else:
                    await link_service.create_link(db=db, owner_id=user_id, link_in=LinkCreate(**fields))
        except ValidationError as error:
            self.errors = {str(item["loc"][0]): item["msg"] for item in error.errors() if item.get("loc")}
        except ValidationFailed as error:
            self.errors = {str(item["loc"][-1]): item["msg"] for item in error.errors or [] if item.get("loc")}
            self.form_error = "" if self.errors else error.detail
        except DomainError as error:
            # 409 for a taken slug belongs at the slug field.
            if error.status == 409:
                self.errors = {"slug": error.detail}
            else:
                self.form_error = error.detail
        else:
            message = "Link updated" if self.editing_id else "Link created"
            self.open = False
            self._reset()
            await links._reload()
            yield rx.toast.success(message, duration=2500)
        finally:
            self.saving = False

    @rx.event
    def ask_delete(self, public_id: str, title: str):
        self.delete_id, self.delete_title, self.delete_open = public_id, title, True

    @rx.event
    def set_delete_open(self, value: bool):
        self.delete_open = value

    @rx.event
    async def delete(self):
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return
        ip = (await self.get_state(AuthState))._client_ip()
        try:
            async with database.session() as db:
                await link_service.delete_link(db=db, owner_id=user_id, public_id=self.delete_id, ip=ip)
        except DomainError as error:
            self.delete_open = False
            return rx.toast.error(error.detail)
        self.delete_open = False
        links = await self.get_state(LinksState)
        await links._reload()
        return rx.toast.success("Link deleted", duration=2500)
