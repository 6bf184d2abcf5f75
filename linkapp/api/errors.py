"""Every API error as application/problem+json (RFC 9457), mapped in one place."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from linkapp.core.errors import DomainError

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
# RFC 9110's names; Python's HTTPStatus phrases for these differ between Python versions.
TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """An error, as RFC 9457's application/problem+json; `errors` on 422 names every field at fault."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ValidationIssue] | None = None


def _described(status: int, description: str) -> dict:
    return {"description": description, "model": Problem, "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


# What any /api/v1 route may answer besides its own success, for the OpenAPI document.
RESPONSES = {
    400: _described(400, "The body could not be decoded (not UTF-8 text, or a broken multipart form)."),
    401: _described(401, "No valid access token or API key (`Authorization: Bearer …`)."),
    403: _described(403, "Not allowed from here (a cookie sent from another site's page)."),
    404: _described(404, "No such thing, or another user's (the two look the same)."),
    409: _described(409, "Conflicts with what is stored (a taken username or short code)."),
    413: _described(413, "The body is too large."),
    422: _described(422, "The input breaks a rule; `errors` names each field at fault."),
    429: _described(429, "Rate limited: wait `Retry-After` seconds."),
}


def problem(status: int, detail: str, *, title: str | None = None, errors: list[dict] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict = {"type": "about:blank", "title": title or TITLES.get(status) or HTTPStatus(status).phrase, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict]:
    return [{"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "invalid"))} for error in exc.errors()]


async def _on_domain_error(_request: Request, exc: DomainError) -> JSONResponse:
    return problem(exc.status, exc.detail, title=exc.title, errors=exc.errors if exc.status == 422 else None, headers=exc.headers)


async def _on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = _validation_errors(exc)
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"] if part != "body") or "request"
    return problem(422, f"{where}: {first['msg']}", errors=errors)


async def _on_http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return problem(500, "Something went wrong on our side; it has been logged.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
