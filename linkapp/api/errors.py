"""Every API error as application/problem+json (RFC 9457), mapped in one place."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from linkapp.core.errors import DomainError

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
# RFC 9110's names; Python's HTTPStatus phrases for these differ between Python versions.
TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


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
