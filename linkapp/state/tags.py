"""TagsState: the "Manage tags" dialog (rename or remove a tag on every link); LinkTagsState: the
tags of the link a link page shows, each leading to the dashboard narrowed to it."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from linkapp import db as database
from linkapp import routes
from linkapp.core.errors import DomainError, NotFound, ValidationFailed
from linkapp.services.links import service as link_service
from linkapp.services.links import tags as link_tags
from linkapp.state.auth import signed_in_user_id
from linkapp.state.link_detail import LinkDetailState
from linkapp.state.links import LinksState


def _links(count: int) -> str:
    return f"{count} link" if count == 1 else f"{count} links"


class TagsState(rx.State):
    open: bool = False
    tags: list[dict] = []
    renaming: str = ""
    new_name: str = ""
    name_error: str = ""
    removing: str = ""
    saving: bool = False

    async def _reload(self) -> bool:
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return False
        async with database.session() as db:
            found = await link_tags.list_tags(db=db, owner_id=user_id)
        self.tags = [{"tag": item.tag, "links": item.links, "label": _links(item.links)} for item in found]
        return True

    def _count(self, tag: str) -> int:
        """How many links the listed `tag` is on."""
        return next((item["links"] for item in self.tags if item["tag"] == tag), 0)

    async def _after_change(self, old: str, new: str) -> None:
        """The tag list here and the dashboard behind the dialog follow the change."""
        await self._reload()
        links = await self.get_state(LinksState)
        if links.tag == old:
            links.tag = new
        await links._reload()

    @rx.event
    async def show(self):
        self.renaming, self.new_name, self.name_error, self.removing = "", "", "", ""
        if await self._reload():
            self.open = True

    @rx.event
    def set_open(self, value: bool):
        self.open = value

    @rx.event
    def start_rename(self, tag: str):
        self.renaming, self.new_name, self.name_error, self.removing = tag, tag, "", ""

    @rx.event
    def cancel_rename(self):
        self.renaming, self.name_error = "", ""

    @rx.event
    def set_new_name(self, value: str):
        # Only a change clears the error: a late echo of the submitted name must not wipe the answer.
        if value != self.new_name:
            self.new_name, self.name_error = value, ""

    @rx.event
    async def rename(self, form: dict | None = None):
        user_id = await signed_in_user_id(self)
        if user_id is None or not self.renaming:
            return
        if form:  # the submitted name wins: typed text may still be on its way through the input debounce
            self.new_name = str(form.get("name", self.new_name))
        old, self.saving = self.renaming, True
        count = self._count(old)
        try:
            async with database.session() as db:
                renamed = await link_tags.rename_tag(db=db, owner_id=user_id, tag=old, name=self.new_name)
        except ValidationFailed as error:
            self.name_error = error.detail
            return
        except NotFound:
            self.renaming = ""
            await self._reload()
            return rx.toast.error(f"“{old}” is no longer one of your tags; the list is up to date now.")
        except DomainError as error:
            self.name_error = error.detail
            return
        finally:
            self.saving = False
        self.renaming, self.new_name = "", ""
        await self._after_change(old, renamed.tag)
        if renamed.tag == old:
            return
        return rx.toast.success(f"“{old}” is now “{renamed.tag}” on {_links(count)}", duration=3000)

    @rx.event
    def ask_remove(self, tag: str):
        self.removing, self.renaming, self.name_error = tag, "", ""

    @rx.event
    def cancel_remove(self):
        self.removing = ""

    @rx.event
    async def remove(self):
        user_id = await signed_in_user_id(self)
        if user_id is None or not self.removing:
            return
        tag, self.removing = self.removing, ""
        count = self._count(tag)
        try:
            async with database.session() as db:
                await link_tags.delete_tag(db=db, owner_id=user_id, tag=tag)
        except DomainError as error:
            await self._reload()
            return rx.toast.error(error.detail if not isinstance(error, NotFound) else f"“{tag}” is no longer one of your tags.")
        await self._after_change(tag, "")
        return rx.toast.success(f"Removed “{tag}” from {_links(count)}; the links stay", duration=3000)


class LinkTagsState(rx.State):
    """The tags of the link on a link page (read when the header appears)."""

    tags: list[dict] = []

    @rx.event
    async def load(self):
        public_id = (await self.get_state(LinkDetailState)).public_id
        user_id = await signed_in_user_id(self)
        self.tags = []
        if user_id is None or not public_id:
            return
        try:
            async with database.session() as db:
                link = await link_service.get_public_link(db=db, owner_id=user_id, public_id=public_id)
        except DomainError:
            return
        self.tags = [{"tag": tag, "href": f"{routes.INDEX}?tag={quote(tag)}"} for tag in link.tags]
