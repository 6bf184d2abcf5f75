"""/api/v1/links/export.csv and /api/v1/links/import: a user's links out as CSV, and in from
our own export or another shortener's; /api/v1/imports/{id}: how an import is going."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from linkapp.api.deps import CurrentUser, Db
from linkapp.api.errors import PROBLEM_JSON
from linkapp.api.locations import set_location
from linkapp.api.routes.analytics import CSV, _attachment
from linkapp.core.errors import ValidationFailed
from linkapp.models.import_job import ImportJobPublic, ImportStarted
from linkapp.services.links import export, imports
from linkapp.services.links.import_rows import MAX_IMPORT_BYTES

router = APIRouter(tags=["imports"])
IMPORT_PATH = "/links/import"
CSV_TYPES = ("text/csv", "application/csv", "text/plain")
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.get("/links/export.csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
async def export_links(user: CurrentUser) -> StreamingResponse:
    """All of the user's links as CSV, oldest first, streamed; the import reads this file back."""
    return StreamingResponse(export.links_csv(owner_id=user.id), media_type=CSV, headers=_attachment(f"links-{date.today()}.csv"))


async def _uploaded(request: Request) -> tuple[bytes, str | None]:
    """The CSV file of an import request, and its name when it came as a form's file."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=5)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("Send the CSV file as the form field `file`.", field="file")
        data, filename = await upload.read(MAX_IMPORT_BYTES + 1), upload.filename
    elif media_type in CSV_TYPES:
        data, filename = await request.body(), None
    else:
        raise HTTPException(415, "Send the CSV file as multipart/form-data (field `file`) or as a text/csv body.")
    if len(data) > MAX_IMPORT_BYTES:  # the body limit leaves room for the form's own bytes
        raise HTTPException(413, f"An import file is at most {MAX_IMPORT_BYTES // (1024 * 1024)} MiB.")
    return data, filename


@router.post(
    IMPORT_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportStarted,
    openapi_extra=UPLOAD_BODY,
    responses={
        202: {"description": "Started; `Location` is its status_url.", "headers": {"Location": {"description": "The import's status URL", "schema": {"type": "string", "format": "uri"}}}},
        409: {"description": "An import of the user's is under way"},
        413: {"description": "The file is over 20 MiB"},
        415: {"description": "Neither multipart/form-data nor a CSV body", "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}},
    },
)
async def import_links(
    request: Request,
    response: Response,
    user: CurrentUser,
    db: Db,
    mode: Literal["skip", "update"] = Query("skip", description="What a row does to a link that exists already: skip it or update it"),
) -> ImportStarted:
    """Import links from a CSV file (our export, or Bitly's, Shlink's, YOURLS', Kutt's or Dub's),
    up to 100,000 rows; the work runs in the background, and `status_url` tells how it goes."""
    data, filename = await _uploaded(request)
    job = await imports.start_import(db=db, owner_id=user.id, data=data, mode=mode, filename=filename)
    set_location(request, response, "import_status", job_id=job.id)
    return ImportStarted(id=job.id, status_url=response.headers["Location"])


@router.get("/imports/{job_id}", response_model=ImportJobPublic)
async def import_status(job_id: str, user: CurrentUser, db: Db) -> ImportJobPublic:
    """How an import of the user's is going: counts so far, and the rows that failed with why."""
    return await imports.get_import(db=db, owner_id=user.id, job_id=job_id)
