"""`201 Created` answers say where the new thing lives: a `Location` header, and its line in the
OpenAPI document.

Locations are absolute URLs on HOST_URL, like `shortened_url` and an import's `status_url`: the
address clients are given, whichever host or proxy the request came through.
"""

from __future__ import annotations

from fastapi import Request, Response

from linkapp.core.config import settings


def created(what: str) -> dict:
    """`responses=` for a route answering 201: the answer and its `Location` header, described."""
    header = {"description": f"The URL of {what}", "schema": {"type": "string", "format": "uri"}}
    return {201: {"description": f"Created; `Location` is the URL of {what}.", "headers": {"Location": header}}}


def set_location(request: Request, response: Response, route: str, **params: str) -> None:
    """Point `Location` at the API route named `route` (its endpoint's name) with these path parameters."""
    response.headers["Location"] = settings.HOST_URL + str(request.app.url_path_for(route, **params))
