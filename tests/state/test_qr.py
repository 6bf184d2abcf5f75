"""QrState: a link's QR code in a dialog, and its downloads, made in the state (no API call)."""

from __future__ import annotations

import base64

from linkapp import db as database
from linkapp.core.config import settings
from linkapp.services.links import service as link_service
from linkapp.state.qr import QrState
from tests.qr_codes import decode_png, decode_svg, png_size
from tests.state.conftest import make_link, make_member


def _data(url: str, media_type: str) -> bytes:
    prefix = f"data:{media_type};base64,"
    assert url.startswith(prefix), url[:60]
    return base64.b64decode(url[len(prefix) :])


def _download(sent) -> tuple[str, bytes]:
    """The file a handler handed the browser: (file name, bytes)."""
    [event] = [event for event in sent.events if event.name == "_download"]
    media_type = event.payload["url"].split(";", 1)[0].removeprefix("data:")
    return event.payload["filename"], _data(event.payload["url"], media_type)


async def test_dialog_shows_the_code_of_the_short_url_with_the_scan_marker(member, member_tab):
    public_id = await make_link(member, "https://example.com/menu", title="Lunch menu")

    await member_tab.fire(QrState.show, public_id)

    dialog = member_tab[QrState]
    assert (dialog.open, dialog.title, dialog.short_url) == (True, "Lunch menu", f"{settings.HOST_URL}/{public_id}")
    assert decode_svg(_data(dialog.image, "image/svg+xml")) == f"{settings.HOST_URL}/{public_id}?utm_source=qr"


async def test_downloads_are_the_svg_and_a_png_of_the_chosen_size(member, member_tab):
    public_id = await make_link(member, slug="menu-card")
    await member_tab.fire(QrState.show, public_id)

    svg_name, svg = _download(await member_tab.fire(QrState.download_svg))
    await member_tab.fire(QrState.set_png_size, "256")
    png_name, png = _download(await member_tab.fire(QrState.download_png))

    scanned = f"{settings.HOST_URL}/menu-card?utm_source=qr"
    assert (svg_name, decode_svg(svg)) == ("qr-menu-card.svg", scanned)
    assert (png_name, png_size(png), decode_png(png)) == ("qr-menu-card-256.png", (256, 256), scanned)


async def test_png_size_takes_only_the_offered_sizes(member_tab):
    await member_tab.fire(QrState.set_png_size, "99999")
    assert member_tab[QrState].png_size == "1024"


async def test_another_users_link_opens_no_dialog(member_tab):
    stranger = await make_member()
    public_id = await make_link(stranger)

    sent = await member_tab.fire(QrState.show, public_id)

    assert member_tab[QrState].open is False
    assert member_tab[QrState].image == ""
    assert sent.toasts == [("error", "No link with that id.")]


async def test_download_of_a_link_deleted_meanwhile_closes_the_dialog(member, member_tab):
    public_id = await make_link(member)
    await member_tab.fire(QrState.show, public_id)
    async with database.session() as db:
        await link_service.delete_link(db=db, owner_id=member.user_id, public_id=public_id)
    sent = await member_tab.fire(QrState.download_png)

    assert member_tab[QrState].open is False
    assert sent.toasts == [("error", "No link with that id.")]
    assert [event for event in sent.events if event.name == "_download"] == []


async def test_signed_out_tab_gets_no_code(member, tab):
    public_id = await make_link(member)
    await tab.fire(QrState.show, public_id)
    assert (tab[QrState].open, tab[QrState].image) == (False, "")
