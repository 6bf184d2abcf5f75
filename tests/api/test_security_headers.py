"""Security headers: on every answer of the UI and the API, and only Referrer-Policy on the redirect."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re

import httpx
import pytest
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles

from linkapp.api.app import create_api
from linkapp.api.headers import SecurityHeaders
from linkapp.core.config import settings
from linkapp.redirect import ShortLinks
from tests.factories import create_link, register, short_path

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"}
ALWAYS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "strict-origin-when-cross-origin"}
LOCKED_DOWN = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"
# What the redirect sent before security headers existed, per status; now Referrer-Policy too.
# Its 404 and 410 pages are documents of their own, secured like the app's answers.
RATE_LIMIT = {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"}
VISITOR_PAGE = {"content-security-policy", "x-content-type-options", "x-frame-options", "cache-control", "vary"}
REDIRECT_HEADERS = {
    302: {"location", "cache-control", "content-length", *RATE_LIMIT, "referrer-policy"},
    410: {"content-length", "content-type", *RATE_LIMIT, "referrer-policy", *VISITOR_PAGE},
    429: {"retry-after", "content-length", "content-type", *RATE_LIMIT, "referrer-policy"},
}
PAGE = (
    b"<!doctype html><html><head><script>window.theme = 'dark';</script>"
    b'<script type="module" src="/assets/entry.js"></script></head>'
    b"<body><div id=root></div><script>\r\nwindow.ready = true;\r\n</script></body></html>"
)


def sha256_source(script: bytes) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"


def directives(policy: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in policy.split(";") if part.strip())}


def assert_secured(response: httpx.Response, *, hsts: bool = False) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert ("strict-transport-security" in response.headers) is hsts
    if hsts:
        assert response.headers["strict-transport-security"] == HSTS


@pytest.fixture
def https_host(monkeypatch):
    monkeypatch.setattr(settings, "HOST_URL", "https://go.example.com")


@pytest.fixture
async def https_client(db_engine, https_host):
    """The API and the redirect as they are built when HOST_URL is https."""
    transport = httpx.ASGITransport(app=ShortLinks(SecurityHeaders(create_api())), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_api_answers_carry_security_headers_and_a_locked_down_policy(client):
    user = await register(client)
    answers = [
        await client.get("/api/v1/auth/me", headers=user["headers"]),
        await client.get("/healthz"),
        await client.get("/openapi.json"),
        await client.get("/api/v1/auth/me"),  # 401
        await client.get("/api/v1/nothing-here"),  # 404
        await client.post("/api/v1/links", json={"url": "javascript:alert(1)"}, headers=user["headers"]),  # 422
        await client.post("/api/v1/links", content=b"x" * (1024 * 1024 + 1), headers={**user["headers"], "Content-Type": "application/json"}),  # 413
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 401, 404, 422, 413]
    for answer in answers:
        assert_secured(answer)
        assert answer.headers["content-security-policy"] == LOCKED_DOWN


async def test_unknown_short_code_gets_a_secured_404(client):
    for accept in ("text/html", "*/*"):
        response = await client.get("/no-such-code", headers={**BROWSER, "Accept": accept})
        assert response.status_code == 404
        assert_secured(response)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_load_only_from_the_app_and_run_their_inline_script(client, path):
    response = await client.get(path)
    assert response.status_code == 200
    assert_secured(response)
    policy = directives(response.headers["content-security-policy"])
    inline = [body.encode() for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S) if "src=" not in attributes]
    assert policy["script-src"] == ["'self'", *map(sha256_source, inline)]
    assert not [source for name, sources in policy.items() if name != "img-src" for source in sources if source.startswith("http")]
    # What the page loads is served here, from the installed package: no internet needed.
    for asset in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', response.text):
        assert (await client.get(asset)).status_code == 200, asset
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


async def test_redirect_answers_keep_their_headers_plus_referrer_policy_only(https_client, monkeypatch):
    user = await register(https_client)
    link = await create_link(https_client, user, max_clicks=1)
    found = await https_client.get(short_path(link), headers=BROWSER)
    gone = await https_client.get(short_path(link), headers=BROWSER)
    monkeypatch.setattr(settings, "RATE_LIMIT_REDIRECT", "2/minute")
    limited = await https_client.get(short_path(link), headers=BROWSER)
    for response in (found, gone, limited):
        assert set(response.headers) == REDIRECT_HEADERS[response.status_code]
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_hsts_on_every_app_answer_when_host_url_is_https(https_client):
    user = await register(https_client)
    for response in (
        await https_client.get("/api/v1/auth/me", headers=user["headers"]),
        await https_client.get("/healthz"),
        await https_client.get("/docs"),
        await https_client.get("/api/v1/nothing-here"),
    ):
        assert_secured(response, hsts=True)


async def test_no_hsts_when_host_url_is_http(client):
    assert_secured(await client.get("/healthz"), hsts=False)


@pytest.fixture
def build_dir(tmp_path):
    """A compiled frontend's shape: a page and its gzip sidecar, as Reflex serves them."""
    (tmp_path / "index.html").write_bytes(PAGE)
    (tmp_path / "index.html.gz").write_bytes(gzip.compress(PAGE))
    return tmp_path


def frontend(build_dir) -> SecurityHeaders:
    return SecurityHeaders(PrecompressedStaticFiles(directory=build_dir, html=True, encodings=["gzip"]))


def assert_page_policy(policy: str, socket_origin: str) -> None:
    parsed = directives(policy)
    # Exactly the page's two inline scripts, hashed as a browser does (CRLF read as LF).
    assert parsed["script-src"] == ["'self'", "'unsafe-eval'", sha256_source(b"window.theme = 'dark';"), sha256_source(b"\nwindow.ready = true;\n")]
    assert parsed["connect-src"] == ["'self'", socket_origin]
    assert parsed["frame-ancestors"] == ["'none'"] and parsed["object-src"] == ["'none'"] and parsed["base-uri"] == ["'self'"]


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
async def test_page_policy_allows_exactly_the_pages_inline_scripts(build_dir, encoding):
    transport = httpx.ASGITransport(app=frontend(build_dir))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/", headers={"Accept-Encoding": encoding})
        head = await http.head("/", headers={"Accept-Encoding": encoding})
    assert head.status_code == 200 and head.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get("content-encoding", "identity") == encoding
    assert response.content == PAGE
    assert_secured(response)
    assert_page_policy(response.headers["content-security-policy"], "ws://testserver")


async def test_page_sent_by_path_gets_its_scripts_hashed_too(build_dir, https_host):
    """granian sends static files by path (the ASGI pathsend extension), never as body bytes."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1", "method": "GET", "scheme": "https",
        "path": "/", "raw_path": b"/", "root_path": "", "query_string": b"", "headers": [(b"accept-encoding", b"gzip")],
        "server": ("go.example.com", 443), "client": ("203.0.113.7", 5000), "extensions": {"http.response.pathsend": {}},
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await frontend(build_dir)(scope, receive, send)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.pathsend"]
    assert sent[1]["path"].endswith("index.html.gz")
    headers = {key.decode(): value.decode() for key, value in sent[0]["headers"]}
    assert headers["strict-transport-security"] == HSTS
    assert_page_policy(headers["content-security-policy"], "wss://go.example.com")


async def test_revalidated_page_keeps_the_policy_it_was_stored_with(build_dir):
    """A 304 carries no policy: browsers would lay it over the stored page's own."""
    transport = httpx.ASGITransport(app=frontend(build_dir))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        first = await http.get("/")
        again = await http.get("/", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert_secured(again)
    assert "content-security-policy" not in again.headers

