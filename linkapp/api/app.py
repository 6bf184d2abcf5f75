"""The FastAPI app behind /api/v1 and /healthz; Reflex mounts its own routes beneath it."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from starlette.routing import Match

from linkapp.api import errors
from linkapp.api.limits import BodySizeLimit
from linkapp.api.routes import ai, analytics, auth, health, links

API_PREFIX = "/api/v1"


def _unmatched_api_path(app: FastAPI):
    """Under /api, answer unknown paths (404) and wrong methods (405) as problem+json.

    Reflex is mounted at "" after our routes, so without this catch-all it would take
    them and answer with its HTML 404 page."""

    async def handler(request: Request, path: str):
        allowed: set[str] = set()
        scope = {**request.scope, "method": "__none__"}
        for route in app.router.routes:
            if getattr(route, "path", "").startswith("/api/{path") or not hasattr(route, "methods"):
                continue
            match, _ = route.matches(scope)
            if match is Match.PARTIAL:
                allowed |= set(route.methods or ())
        if allowed:
            return errors.problem(405, f"{request.method} is not allowed here.", headers={"Allow": ", ".join(sorted(allowed))})
        return errors.problem(404, f"No API endpoint at {request.url.path}.")

    return handler


def create_api() -> FastAPI:
    app = FastAPI(
        title="Linkapp API",
        version="1",
        description="Short links with accurate click analytics. Authenticate with `Authorization: Bearer <token>`.",
    )
    errors.install(app)
    v1 = APIRouter(prefix=API_PREFIX)
    for module in (auth, links, analytics, ai):
        v1.include_router(module.router)
    app.include_router(v1)
    app.include_router(health.router)
    app.add_api_route(
        "/api/{path:path}",
        _unmatched_api_path(app),
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
        include_in_schema=False,
    )
    app.add_middleware(BodySizeLimit)
    return app


api = create_api()
