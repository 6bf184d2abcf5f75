"""The baseline of load_bench.py: a bare Starlette app answering every one-segment GET with a 302
from a dict, as granian serves it (`granian --interface asgi bench.bare_302:app`)."""

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

TARGETS = {}  # code -> URL; any code not in it gets the default, as a cache hit would
DEFAULT = "https://example.com/landing/page?campaign=spring"


async def redirect(request):
    location = TARGETS.get(request.path_params["code"], DEFAULT)
    return Response(status_code=302, headers={"location": location, "cache-control": "private, no-store"})


app = Starlette(routes=[Route("/{code}", redirect)])
