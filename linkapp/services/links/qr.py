"""QR codes of short links, as SVG and PNG, encoding the short URL with the scan marker.

segno builds the code; the PNG is written here from segno's module matrix, because segno scales
by whole modules only and a PNG is asked for at an exact pixel size: the code takes the largest
whole scale that fits with its quiet zone, centred on a white square of that size. Rendering is
pure Python (5 to 10 ms a code here), so it runs in a worker thread, never on the event loop the
redirect shares, and the last codes rendered are kept.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from dataclasses import dataclass
from typing import Literal

import anyio
import segno
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core.errors import ValidationFailed
from linkapp.models.link import Link
from linkapp.services.links import service as links
from linkapp.services.links.scan_marker import with_scan_marker

Kind = Literal["svg", "png"]
MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 64, 2048, 512
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
# M recovers from 15% damage: codes get printed, folded and scuffed.
ERROR_LEVEL = "m"
QUIET_ZONE = 4  # modules of white around the code, as the standard asks
SVG_SCALE = 10
CACHED_CODES = 128  # a 2048 px PNG is about 20 KB: a few MB at most


@dataclass(frozen=True, slots=True)
class QrCode:
    """A rendered code: its bytes, media type, a file name for downloads and the URL it encodes."""

    content: bytes
    media_type: str
    filename: str
    text: str


def check_size(size: int) -> int:
    """A PNG's width and height in pixels; ValidationFailed outside MIN_SIZE..MAX_SIZE."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        msg = f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels."
        raise ValidationFailed(msg, errors=[{"loc": ["query", "size"], "msg": msg}])
    return size


def _svg(code: segno.QRCode) -> bytes:
    out = io.BytesIO()
    code.save(out, kind="svg", scale=SVG_SCALE, border=QUIET_ZONE, light="#fff", xmldecl=False, omitsize=True)
    # Both a size (for tools that want one) and the viewBox (so that it scales in an <img>).
    width = code.symbol_size(scale=SVG_SCALE, border=QUIET_ZONE)[0]
    return out.getvalue().replace(b"<svg ", f'<svg width="{width}" height="{width}" '.encode(), 1)


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def _png(code: segno.QRCode, size: int) -> bytes:
    """The code as a 1-bit greyscale PNG of exactly `size` x `size` pixels."""
    matrix = code.matrix
    modules = len(matrix)
    if modules > size:
        msg = f"This link's code needs at least {modules} pixels."
        raise ValidationFailed(msg, errors=[{"loc": ["query", "size"], "msg": msg}])
    scale = max(1, size // (modules + 2 * QUIET_ZONE))
    before = (size - modules * scale) // 2
    after = size - before - modules * scale
    padding = "1" * (-size % 8)  # rows are whole bytes

    def pixels(bits: str) -> bytes:
        bits += padding
        return b"\x00" + int(bits, 2).to_bytes(len(bits) // 8, "big")  # filter byte 0: none

    blank = pixels("1" * size)
    rows = [blank] * before
    for line in matrix:
        # 0 is black in greyscale: a dark module is a run of zero bits.
        row = pixels("1" * before + "".join(("0" if dark else "1") * scale for dark in line) + "1" * after)
        rows.extend([row] * scale)
    rows.extend([blank] * after)
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(b"".join(rows))) + _png_chunk(b"IEND", b"")


@functools.lru_cache(maxsize=CACHED_CODES)
def render(text: str, kind: Kind, size: int = DEFAULT_SIZE) -> bytes:
    """The QR code of `text` as SVG (size does not apply) or as a PNG of `size` pixels."""
    code = segno.make(text, error=ERROR_LEVEL)
    return _svg(code) if kind == "svg" else _png(code, size)


async def link_code(link: Link, *, kind: Kind, size: int = DEFAULT_SIZE) -> QrCode:
    """The QR code of `link`'s short URL with the scan marker, rendered off the event loop."""
    text = with_scan_marker(links.shortened_url(link))
    size = DEFAULT_SIZE if kind == "svg" else check_size(size)
    content = await anyio.to_thread.run_sync(render, text, kind, size)
    suffix = "" if kind == "svg" else f"-{size}"
    return QrCode(content=content, media_type=MEDIA_TYPES[kind], filename=f"qr-{links.short_code(link)}{suffix}.{kind}", text=text)


async def owned_link_code(*, db: AsyncSession, owner_id: int, public_id: str, kind: Kind, size: int = DEFAULT_SIZE) -> QrCode:
    """The QR code of the owner's link `public_id`; NotFound as `service.get_link`."""
    if kind == "png":
        check_size(size)
    link = await links.get_link(db=db, owner_id=owner_id, public_id=public_id)
    return await link_code(link, kind=kind, size=size)
