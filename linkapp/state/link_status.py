"""LinkStatusState: the link page's state box brings an ended link back: re-enable it, extend its
expiry, raise its click limit. Each goes through `update_link`, as the edit form does."""

from __future__ import annotations

import reflex as rx
from pydantic import ValidationError

from linkapp import db as database
from linkapp.core.errors import DomainError, ValidationFailed
from linkapp.core.times import utcnow
from linkapp.models.link import LinkUpdate
from linkapp.services.links import service as link_service
from linkapp.services.links import states
from linkapp.state.auth import signed_in_user_id, viewer_time_zone
from linkapp.state.link_detail import LinkDetailState
from linkapp.state.link_form import local_to_utc, optional_int


class LinkStatusState(rx.State):
    extend_to: str = ""
    new_limit: str = ""
    errors: dict[str, str] = {}

    @rx.event
    def set_extend_to(self, value: str):
        self.extend_to = value
        self.errors = {key: msg for key, msg in self.errors.items() if key != "expires_at"}

    @rx.event
    def set_new_limit(self, value: str):
        self.new_limit = value
        self.errors = {key: msg for key, msg in self.errors.items() if key != "max_clicks"}

    async def _change(self, decide, done: str):
        """Update the page's link with what `decide(link)` returns (the stored link and its public
        shape in, LinkUpdate fields out); errors show at their field, or as a toast."""
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return
        detail = await self.get_state(LinkDetailState)
        tz = await viewer_time_zone(self)
        self.errors = {}
        try:
            async with database.session() as db:
                link = await link_service.get_link(db=db, owner_id=user_id, public_id=detail.public_id)
                fields = decide(link, await link_service.public_link(db, link), tz)
                await link_service.update_link(db=db, owner_id=user_id, public_id=detail.public_id, link_in=LinkUpdate(**fields))
        except ValidationError as error:
            self.errors = {str(item["loc"][0]): item["msg"] for item in error.errors() if item.get("loc")}
            return
        except ValidationFailed as error:
            self.errors = {str(item["loc"][-1]): item["msg"] for item in error.errors or [] if item.get("loc")}
            return
        except DomainError as error:
            return rx.toast.error(error.detail)
        self.extend_to, self.new_limit = "", ""
        await detail._reload()
        return rx.toast.success(done, duration=2500)

    @rx.event
    async def re_enable(self):
        return await self._change(lambda link, public, tz: {"disabled": False}, "Link re-enabled")

    @rx.event
    async def extend_by(self, days: int):
        def decide(link, public, tz):
            return {"expires_at": states.extended_expiry(link.expires_at, int(days), now=utcnow())}

        return await self._change(decide, f"Expiry moved {int(days)} days on")

    @rx.event
    async def extend_until(self):
        def decide(link, public, tz):
            moment = local_to_utc(self.extend_to.strip(), tz)
            if moment is None:
                raise ValidationFailed("Pick a date and time.", field="expires_at")
            return {"expires_at": moment}

        return await self._change(decide, "Expiry changed")

    @rx.event
    async def raise_limit(self):
        def decide(link, public, tz):
            limit = optional_int(self.new_limit, "max_clicks")
            if limit is None:
                raise ValidationFailed("Enter the new click limit.", field="max_clicks")
            return {"max_clicks": states.raised_limit(limit, public.clicks_used or 0)}

        return await self._change(decide, "Click limit raised")
