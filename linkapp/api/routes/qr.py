"""/api/v1/links/{id}/qr.svg and qr.png: a link's QR code, which scans count with source `qr`."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Query, Request, Response

from linkapp.api.deps import CurrentUser, Db
from linkapp.services.links import qr

router = APIRouter(prefix="/links", tags=["links"])

DOWNLOAD = Query(False, description="Send it as an attachment (`Content-Disposition: attachment`) with a file name")


def _image(request: Request, code: qr.QrCode, download: bool) -> Response:
    """The code with a validator: the browser asks again each time (a changed slug changes the
    code) and gets a 304 while it is the same."""
    etag = '"' + hashlib.sha256(code.content).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": "private, no-cache",
        "ETag": etag,
        "Content-Disposition": f'{"attachment" if download else "inline"}; filename="{code.filename}"',
    }
    if etag in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    return Response(code.content, media_type=code.media_type, headers=headers)


@router.get("/{link_id}/qr.svg", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}, "description": "The QR code as SVG"}})
async def link_qr_svg(link_id: str, request: Request, user: CurrentUser, db: Db, download: bool = DOWNLOAD) -> Response:
    return _image(request, await qr.owned_link_code(db=db, owner_id=user.id, public_id=link_id, kind="svg"), download)


@router.get("/{link_id}/qr.png", response_class=Response, responses={200: {"content": {"image/png": {}}, "description": "The QR code as PNG"}})
async def link_qr_png(
    link_id: str,
    request: Request,
    user: CurrentUser,
    db: Db,
    size: int = Query(qr.DEFAULT_SIZE, ge=qr.MIN_SIZE, le=qr.MAX_SIZE, description="Width and height in pixels"),
    download: bool = DOWNLOAD,
) -> Response:
    return _image(request, await qr.owned_link_code(db=db, owner_id=user.id, public_id=link_id, kind="png", size=size), download)
