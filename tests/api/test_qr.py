"""/api/v1/links/{id}/qr.svg and qr.png: a link's QR code, and what a scan of it records."""

from __future__ import annotations

import pytest

from linkapp.core.config import settings
from linkapp.services.clicks.recorder import recorder
from tests.factories import create_link, register
from tests.qr_codes import decode_png, decode_svg, png_size

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def qr_path(link: dict, kind: str) -> str:
    return f"/api/v1/links/{link['id']}/qr.{kind}"


async def test_qr_svg_encodes_the_short_url_with_the_scan_marker(client):
    user = await register(client)
    link = await create_link(client, user)

    response = await client.get(qr_path(link, "svg"), headers=user["headers"])

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["content-disposition"] == f'inline; filename="qr-{link["id"]}.svg"'
    assert decode_svg(response.content) == f"{link['shortened_url']}?utm_source=qr"


@pytest.mark.parametrize(("query", "size"), [("", 512), ("?size=64", 64), ("?size=300", 300), ("?size=2048", 2048)])
async def test_qr_png_has_the_asked_size_and_decodes_to_the_short_url(client, query, size):
    user = await register(client)
    link = await create_link(client, user)

    response = await client.get(qr_path(link, "png") + query, headers=user["headers"])

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert png_size(response.content) == (size, size)
    assert decode_png(response.content) == f"{link['shortened_url']}?utm_source=qr"


@pytest.mark.parametrize("size", ["63", "2049", "0", "big"])
async def test_qr_png_size_outside_64_to_2048_is_422(client, size):
    user = await register(client)
    link = await create_link(client, user)

    response = await client.get(qr_path(link, "png") + f"?size={size}", headers=user["headers"])

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [["query", "size"]]


@pytest.mark.parametrize("kind", ["svg", "png"])
async def test_qr_of_another_users_or_a_missing_link_is_404(client, kind):
    owner, other = await register(client), await register(client)
    link = await create_link(client, owner)

    foreign = await client.get(qr_path(link, kind), headers=other["headers"])
    missing = await client.get(qr_path({"id": "nosuchid"}, kind), headers=owner["headers"])

    assert (foreign.status_code, missing.status_code) == (404, 404)
    assert foreign.json() == missing.json()


@pytest.mark.parametrize("kind", ["svg", "png"])
async def test_qr_without_credentials_is_401(client, kind):
    owner = await register(client)
    link = await create_link(client, owner)
    assert (await client.get(qr_path(link, kind))).status_code == 401


async def test_qr_download_is_an_attachment_named_after_the_short_code(client):
    user = await register(client)
    link = await create_link(client, user, slug="Spring-Sale")

    svg = await client.get(qr_path(link, "svg") + "?download=1", headers=user["headers"])
    png = await client.get(qr_path(link, "png") + "?size=1024&download=1", headers=user["headers"])

    assert svg.headers["content-disposition"] == 'attachment; filename="qr-Spring-Sale.svg"'
    assert png.headers["content-disposition"] == 'attachment; filename="qr-Spring-Sale-1024.png"'
    assert decode_png(png.content) == "http://testserver/Spring-Sale?utm_source=qr"


async def test_qr_follows_a_changed_slug_and_revalidates(client):
    user = await register(client)
    link = await create_link(client, user, slug="before")
    first = await client.get(qr_path(link, "png"), headers=user["headers"])
    etag = first.headers["etag"]
    same = await client.get(qr_path(link, "png"), headers={**user["headers"], "If-None-Match": etag})
    assert (same.status_code, same.content) == (304, b"")

    await client.patch(f"/api/v1/links/{link['id']}", json={"slug": "after"}, headers=user["headers"])
    changed = await client.get(qr_path(link, "png"), headers={**user["headers"], "If-None-Match": etag})

    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert decode_png(changed.content) == "http://testserver/after?utm_source=qr"


@pytest.mark.parametrize("forward", [False, True])
async def test_qr_scan_counts_as_source_qr_and_the_target_never_sees_the_marker(client, monkeypatch, forward):
    monkeypatch.setattr(settings, "FORWARD_QUERY_PARAMS", forward)
    user = await register(client)
    link = await create_link(client, user, url="https://example.com/menu?table=4")
    scanned = decode_png((await client.get(qr_path(link, "png"), headers=user["headers"])).content)

    # What the phone opens: the decoded URL, path and query.
    response = await client.get(scanned.removeprefix("http://testserver"), headers={"User-Agent": BROWSER})

    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/menu?table=4"
    await recorder.flush()
    figures = (await client.get(f"/api/v1/analytics/links/{link['id']}", headers=user["headers"])).json()
    assert figures["clicks_by_source"] == [{"source": "qr", "clicks": 1}]


@pytest.mark.parametrize(
    ("query", "forwarded"),
    [
        ("utm_source=qr&lang=de", "lang=de"),
        ("lang=de&utm_source=qr", "lang=de"),
        ("utm_source=qrcode", "utm_source=qrcode"),
        ("utm_source=newsletter", "utm_source=newsletter"),
    ],
)
async def test_forwarded_query_drops_only_the_scan_marker(client, monkeypatch, query, forwarded):
    monkeypatch.setattr(settings, "FORWARD_QUERY_PARAMS", True)
    user = await register(client)
    link = await create_link(client, user, url="https://example.com/menu")

    response = await client.get(f"/{link['id']}?{query}", headers={"User-Agent": BROWSER})

    assert response.headers["location"] == f"https://example.com/menu?{forwarded}"
