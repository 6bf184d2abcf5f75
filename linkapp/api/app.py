"""The FastAPI app behind /api/v1 and /healthz; Reflex mounts its own routes beneath it."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from starlette.routing import Match, Mount

from linkapp.api import docs, errors
from linkapp.api.limits import BodySizeLimit
from linkapp.api.routes import account, ai, analytics, auth, health, imports, keys, links, metrics, qr, tags, webhooks

API_PREFIX = "/api/v1"
PROBED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(app: FastAPI, scope: dict, catch_all: object) -> set[str]:
    """The methods some real route answers at this path.

    Asks each top-level route whether it would match the path with each method, instead of
    walking the routes' internals: FastAPI no longer flattens included routers into
    `app.router.routes`, so a walk over APIRoute objects finds nothing."""
    allowed: set[str] = set()
    probe = {"type": "http", "path": scope["path"], "root_path": scope.get("root_path", ""), "headers": [], "query_string": b""}
    for route in app.router.routes:
        if route is catch_all or getattr(route, "endpoint", None) is catch_all:
            continue
        if isinstance(route, Mount) and route.path == "":  # Reflex, mounted beneath us, takes any path
            continue
        for method in PROBED_METHODS:
            match, _ = route.matches({**probe, "method": method})
            if match is Match.FULL:
                allowed.add(method)
    return allowed


def _unmatched_api_path(app: FastAPI):
    """Under /api, answer unknown paths (404) and wrong methods (405) as problem+json.

    Reflex is mounted at "" after our routes, so without this catch-all it would take
    them and answer with its HTML 404 page."""

    async def handler(request: Request, path: str):
        allowed = _allowed_methods(app, request.scope, handler)
        if allowed:
            return errors.problem(405, f"{request.method} is not allowed here.", headers={"Allow": ", ".join(sorted(allowed))})
        return errors.problem(404, f"No API endpoint at {request.url.path}.")

    return handler


def create_api() -> FastAPI:
    app = FastAPI(
        title="Linkapp API",
        version="1",
        description="Short links with accurate click analytics. Authenticate with `Authorization: Bearer <token>`.",
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    docs.install(app, title="Linkapp API")
    v1 = APIRouter(prefix=API_PREFIX, responses=errors.RESPONSES)
    # qr and imports before links: their /links/... paths must not be read as a link id.
    for module in (auth, account, keys, qr, imports, links, tags, analytics, ai, webhooks):
        v1.include_router(module.router)
    app.include_router(v1)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.add_api_route(
        "/api/{path:path}",
        _unmatched_api_path(app),
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"],
        include_in_schema=False,
    )
    app.add_middleware(BodySizeLimit)
    return app


api = create_api()
