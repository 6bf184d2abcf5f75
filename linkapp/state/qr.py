"""QrState: the QR code dialog of a link, from its row in the list or from its page.

The image and the downloads are rendered here, in the state, and reach the browser as data:
URLs: the page holds no credential for the API's qr.svg/qr.png, and needs none this way.
"""

from __future__ import annotations

import base64

import reflex as rx

from linkapp import db as database
from linkapp.core.errors import DomainError
from linkapp.services.links import qr
from linkapp.services.links import service as link_service
from linkapp.state.auth import signed_in_user_id

PNG_SIZES = ["256", "512", "1024", "2048"]


def data_url(code: qr.QrCode) -> str:
    return f"data:{code.media_type};base64,{base64.b64encode(code.content).decode('ascii')}"


class QrState(rx.State):
    open: bool = False
    public_id: str = ""
    title: str = ""
    short_url: str = ""
    image: str = ""
    png_size: str = "1024"

    async def _code(self, kind: qr.Kind) -> qr.QrCode | None:
        """The open link's code, looked up again (it may have changed or gone); None with a toast
        when it is not the user's any more."""
        user_id = await signed_in_user_id(self)
        if user_id is None or not self.public_id:
            return None
        async with database.session() as db:
            return await qr.owned_link_code(db=db, owner_id=user_id, public_id=self.public_id, kind=kind, size=int(self.png_size))

    @rx.event
    async def show(self, public_id: str):
        """Open the dialog with `public_id`'s code."""
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return
        try:
            async with database.session() as db:
                link = await link_service.get_link(db=db, owner_id=user_id, public_id=public_id)
                code = await qr.link_code(link, kind="svg")
        except DomainError as error:
            return rx.toast.error(error.detail)
        self.public_id, self.title, self.short_url = public_id, link.title, link_service.shortened_url(link)
        self.image, self.open = data_url(code), True

    @rx.event
    def set_open(self, value: bool):
        self.open = value

    @rx.event
    def set_png_size(self, value: str):
        if value in PNG_SIZES:
            self.png_size = value

    async def _download_code(self, kind: qr.Kind):
        try:
            code = await self._code(kind)
        except DomainError as error:
            self.open = False
            return rx.toast.error(error.detail)
        if code is not None:
            return rx.download(data=code.content, filename=code.filename, mime_type=code.media_type)

    @rx.event
    async def download_svg(self):
        return await self._download_code("svg")

    @rx.event
    async def download_png(self):
        return await self._download_code("png")
