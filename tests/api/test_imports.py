"""Bulk import (POST /links/import, GET /imports/{id}) and the links export, as a user of the API meets them."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest

from linkapp.core.times import utcnow
from tests.factories import create_link, register, short_path

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "imports"
MIB = 1024 * 1024


async def start(client, user, body: bytes | str, *, mode: str = "skip", content_type: str = "text/csv"):
    data = body.encode() if isinstance(body, str) else body
    return await client.post("/api/v1/links/import", params={"mode": mode}, content=data, headers={**user["headers"], "Content-Type": content_type})


async def finished(client, user, started) -> dict:
    """The job of a 202 answer once it is done or failed (polled with a deadline)."""
    assert started.status_code == 202, started.text
    url = started.json()["status_url"].removeprefix("http://testserver")
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        job = (await client.get(url, headers=user["headers"])).json()
        if job["status"] in ("done", "failed") or asyncio.get_running_loop().time() > deadline:
            return job
        await asyncio.sleep(0.02)


async def import_file(client, user, body: bytes | str, *, mode: str = "skip") -> dict:
    return await finished(client, user, await start(client, user, body, mode=mode))


async def links_of(client, user) -> dict[str, dict]:
    """The user's links by short code (slug, or public id)."""
    items = (await client.get("/api/v1/links", params={"limit": 100}, headers=user["headers"])).json()["items"]
    return {item["slug"] or item["id"]: item for item in items}


# (sample, links created, rows failed)
EXPECTED = {
    "linkapp.csv": (4, [5, 6, 7, 8]),
    "bitly.csv": (3, [5, 6]),
    "shlink.csv": (2, [4, 5]),
    "yourls.csv": (3, [5, 6]),
    "kutt.csv": (2, [4, 5]),
    "dub.csv": (2, [3, 5]),
}


@pytest.mark.parametrize("sample", sorted(EXPECTED))
async def test_import_sample_creates_valid_rows_and_names_failed_rows(client, sample):
    user = await register(client)
    created, failed_rows = EXPECTED[sample]

    job = await import_file(client, user, (SAMPLES / sample).read_bytes())

    assert job["status"] == "done", job
    assert (job["created"], job["failed"], job["skipped"], job["updated"]) == (created, len(failed_rows), 0, 0)
    assert job["total"] == job["processed"] == created + len(failed_rows)
    assert [error["row"] for error in job["errors"]] == failed_rows
    assert all(error["msg"] for error in job["errors"])
    assert len(await links_of(client, user)) == created


async def test_import_our_export_keeps_every_field(client):
    user = await register(client)
    job = await import_file(client, user, (SAMPLES / "linkapp.csv").read_bytes())
    links = await links_of(client, user)

    sale = links["spring-sale"]
    assert (sale["url"], sale["title"], sale["tags"]) == ("https://shop.example.com/sale?utm_source=mail", "Spring sale, 20% off", ["news", "promo"])
    assert (sale["expires_at"], sale["max_clicks"], sale["created_at"]) == ("2099-01-01T00:00:00Z", 500, "2025-03-01T10:00:00Z")
    assert sale["total_clicks"] == 0  # another service's counts are not ours
    # What our export wrote as '=... to keep a spreadsheet from running it comes back as written.
    assert links["Formula-Test"]["title"] == '=HYPERLINK("http://evil.example")'
    assert links["Formula-Test"]["tags"] == ["-dash"]
    untitled = next(link for link in links.values() if link["slug"] is None)
    assert (untitled["url"], untitled["title"]) == ("https://docs.example.org/guide", "docs.example.org")
    assert {error["row"]: error["msg"] for error in job["errors"]} == {
        5: "Only http:// and https:// URLs can be shortened.",
        6: "“login” is a word the app uses itself; choose another.",
        7: "The expiry time must be in the future.",
        8: "A tag is 1 to 32 letters, digits, spaces, - or _.",
    }


async def test_import_foreign_samples_map_their_columns(client):
    user = await register(client)
    for sample in ("bitly.csv", "shlink.csv", "yourls.csv", "kutt.csv", "dub.csv"):
        assert (await import_file(client, user, (SAMPLES / sample).read_bytes()))["status"] == "done"
    links = await links_of(client, user)

    # Bitly: the custom back-half wins over the bit.ly code; a missing title is the host.
    assert links["launch-post"]["title"] == "Launch post, part 1"
    assert links["launch-post"]["tags"] == ["blog", "launch"]
    assert links["launch-post"]["created_at"] == "2024-05-02T14:03:11Z"
    assert links["4XyZ123"]["title"] == "example.com"
    # Shlink: a quoted comma stays in the URL; tags are joined by |.
    assert links["promo-2024"]["url"] == "https://shop.example.com/promo?a=1,2"
    assert links["promo-2024"]["tags"] == ["promo", "sale"]
    # YOURLS: a title over two lines is one title.
    assert links["multi"]["title"] == "Two lines"
    assert links["ozh"]["title"] == "Ozh, the author"
    # Kutt: description is the title, expire_in the expiry.
    assert (links["summer"]["title"], links["summer"]["expires_at"]) == ("Summer, the sale", "2099-06-30T00:00:00Z")
    # Dub: the code comes from the short link; Dub exports no title.
    assert (links["github"]["url"], links["github"]["title"], links["github"]["tags"]) == ("https://github.com/dubinc/dub", "github.com", ["code", "oss"])
    assert links["Launch_2024"]["url"] == "https://example.com/launch?x=1&y=2"
    redirect = await client.get(short_path(links["promo-2024"]))
    assert redirect.status_code == 302 and redirect.headers["location"] == "https://shop.example.com/promo?a=1,2"


async def test_import_as_multipart_file_names_the_job(client):
    user = await register(client)
    files = {"file": ("my-bitly.csv", (SAMPLES / "bitly.csv").read_bytes(), "text/csv")}
    started = await client.post("/api/v1/links/import", files=files, headers=user["headers"])

    job = await finished(client, user, started)

    assert started.headers["location"] == started.json()["status_url"]
    assert (job["filename"], job["format"], job["created"]) == ("my-bitly.csv", "bitly", 3)


async def test_reimport_with_skip_creates_nothing_twice(client):
    user = await register(client)
    body = (SAMPLES / "linkapp.csv").read_bytes()
    await import_file(client, user, body)

    again = await import_file(client, user, body)

    assert (again["created"], again["skipped"], again["failed"]) == (0, 4, 4)
    assert len(await links_of(client, user)) == 4  # the row without a code too: same URL and title


async def test_reimport_with_update_changes_existing_links_and_their_redirect(client):
    user = await register(client)
    header = "createdAt,domain,shortCode,shortUrl,longUrl,title,tags,visits\n"
    await import_file(client, user, header + "2024-01-10T09:00:00Z,,promo-2024,,https://example.com/old,Old,a|b,1\n")
    link = (await links_of(client, user))["promo-2024"]
    assert (await client.get(short_path(link))).headers["location"] == "https://example.com/old"

    job = await import_file(client, user, header + "2024-01-10T09:00:00Z,,PROMO-2024,,https://example.com/new,New,c,1\n", mode="update")

    assert (job["updated"], job["created"], job["skipped"]) == (1, 0, 0)
    changed = (await links_of(client, user))["promo-2024"]
    assert (changed["id"], changed["url"], changed["title"], changed["tags"]) == (link["id"], "https://example.com/new", "New", ["c"])
    assert (await client.get(short_path(link))).headers["location"] == "https://example.com/new"


async def test_update_leaves_fields_the_file_has_no_column_for(client):
    user = await register(client)
    link = await create_link(client, user, url="https://example.com/a", title="Kept", slug="keep-me", tags=["x"])

    job = await import_file(client, user, "keyword,url\nkeep-me,https://example.com/b\n", mode="update")

    assert job["updated"] == 1
    changed = (await links_of(client, user))["keep-me"]
    assert (changed["id"], changed["url"], changed["title"], changed["tags"]) == (link["id"], "https://example.com/b", "Kept", ["x"])


async def test_import_refuses_codes_of_others_and_repeated_codes_row_by_row(client):
    owner = await register(client)
    other = await register(client)
    await create_link(client, owner, slug="mine")

    rows = "MINE,https://example.com/1,A\nfresh,https://example.com/2,B\nbad,ftp://example.com/,C\nfresh,https://example.com/3,D\n"
    job = await import_file(client, other, "keyword,url,title\n" + rows)

    assert job["created"] == 1
    assert job["errors"] == [  # in row order, whatever found them
        {"row": 2, "msg": "The short code “MINE” is taken."},
        {"row": 4, "msg": "Only http:// and https:// URLs can be shortened."},
        {"row": 5, "msg": "The short code “fresh” is on row 3 already."},
    ]


async def test_import_refuses_unknown_header_and_non_utf8_with_422(client):
    user = await register(client)

    unknown = await start(client, user, "name,address\nx,y\n")
    latin1 = await start(client, user, "keyword,url,title\nete,https://example.com/,Été\n".encode("latin-1"))
    no_rows = await start(client, user, "keyword,url,title\n")

    assert unknown.status_code == latin1.status_code == no_rows.status_code == 422
    assert "not one we know" in unknown.json()["detail"]
    assert "UTF-8" in latin1.json()["detail"]
    assert unknown.headers["content-type"] == "application/problem+json"


async def test_import_reads_a_spreadsheets_bom_and_semicolons(client):
    user = await register(client)
    body = "\ufeffkeyword;url;title\r\nsemi;https://example.com/a?x=1,2;Café, crème\r\n".encode()

    job = await import_file(client, user, body)

    assert (job["format"], job["created"]) == ("yourls", 1)
    link = (await links_of(client, user))["semi"]
    assert (link["url"], link["title"]) == ("https://example.com/a?x=1,2", "Café, crème")


async def test_import_of_a_list_made_by_hand_needs_only_a_url_column(client):
    user = await register(client)

    job = await import_file(client, user, "URL,Title,Tags\nhttps://example.com/x,Hand made,a|b\nhttps://example.com/y,,\n")

    assert (job["format"], job["created"]) == ("linkapp", 2)
    titles = sorted((link["title"], tuple(link["tags"])) for link in (await links_of(client, user)).values())
    assert titles == [("Hand made", ("a", "b")), ("example.com", ())]


async def test_import_of_json_is_415(client):
    user = await register(client)
    response = await start(client, user, '{"url": "https://example.com"}', content_type="application/json")
    assert response.status_code == 415


async def test_import_takes_files_over_1_mib_and_refuses_over_20_mib(client):
    user = await register(client)
    row = "keyword-{:05d},https://example.com/{:05d}," + "A long title " * 11 + "\n"
    body = "keyword,url,title\n" + "".join(row.format(n, n) for n in range(7_000))
    assert MIB < len(body) < 20 * MIB

    accepted = await start(client, user, body)
    just_over = await start(client, user, b"keyword,url\n" + b"x" * (20 * MIB))
    far_over = await start(client, user, b"x" * (21 * MIB))
    as_file = await client.post("/api/v1/links/import", files={"file": ("big.csv", b"x" * (20 * MIB + 1), "text/csv")}, headers=user["headers"])
    big_json = b'{"url": "https://example.com/' + b"a" * (2 * MIB) + b'"}'
    other_route = await client.post("/api/v1/links", content=big_json, headers={**user["headers"], "Content-Type": "application/json"})

    assert accepted.status_code == 202
    assert just_over.status_code == far_over.status_code == as_file.status_code == other_route.status_code == 413
    assert just_over.headers["content-type"] == "application/problem+json"
    job = await finished(client, user, accepted)
    assert (job["status"], job["created"], job["failed"]) == ("done", 7_000, 0)


async def test_import_over_100000_rows_is_422(client):
    user = await register(client)
    body = "keyword,url\n" + "a,b\n" * 100_001
    response = await start(client, user, body)
    assert response.status_code == 422
    assert "100,000" in response.json()["detail"]


async def test_import_job_of_another_user_is_404(client):
    owner = await register(client)
    other = await register(client)
    started = await start(client, owner, (SAMPLES / "yourls.csv").read_bytes())
    await finished(client, owner, started)
    url = started.json()["status_url"].removeprefix("http://testserver")

    assert (await client.get(url, headers=other["headers"])).status_code == 404
    assert (await client.get("/api/v1/imports/imp_nothing", headers=owner["headers"])).status_code == 404
    assert (await client.get(url)).status_code == 401


async def test_second_import_while_one_is_under_way_is_409(client, db):
    from linkapp.services.accounts.users import get_user_by_username
    from linkapp.services.links import imports
    from linkapp.services.links.import_rows import read_import_file

    user = await register(client)
    owner = await get_user_by_username(db=db, username=user["username"])
    queued = await imports.create_job(db=db, owner_id=owner.id, file=read_import_file((SAMPLES / "kutt.csv").read_bytes()))

    response = await start(client, user, (SAMPLES / "kutt.csv").read_bytes())

    assert response.status_code == 409
    assert queued.id in response.json()["detail"]


async def test_job_left_behind_by_a_stopped_process_reads_as_failed(client, db):
    from sqlalchemy import update

    from linkapp.models.import_job import ImportJob
    from linkapp.services.accounts.users import get_user_by_username
    from linkapp.services.links import imports
    from linkapp.services.links.import_rows import read_import_file

    user = await register(client)
    owner = await get_user_by_username(db=db, username=user["username"])
    job = await imports.create_job(db=db, owner_id=owner.id, file=read_import_file((SAMPLES / "kutt.csv").read_bytes()))
    fresh = (await client.get(f"/api/v1/imports/{job.id}", headers=user["headers"])).json()
    await db.execute(update(ImportJob).where(ImportJob.id == job.id).values(status="running", updated_at=utcnow() - imports.STALE_AFTER - timedelta(seconds=1)))
    await db.commit()

    left = (await client.get(f"/api/v1/imports/{job.id}", headers=user["headers"])).json()

    assert fresh["status"] == "queued"
    assert left["status"] == "failed" and "mode=skip" in left["detail"]
    # The user can start again, and skip brings the rest in.
    assert (await finished(client, user, await start(client, user, (SAMPLES / "kutt.csv").read_bytes())))["created"] == 2


async def test_app_start_fails_jobs_left_behind(client, db):
    from sqlalchemy import update

    from linkapp.models.import_job import ImportJob
    from linkapp.services.accounts.users import get_user_by_username
    from linkapp.services.links import imports
    from linkapp.services.links.import_rows import read_import_file

    user = await register(client)
    owner = await get_user_by_username(db=db, username=user["username"])
    job = await imports.create_job(db=db, owner_id=owner.id, file=read_import_file((SAMPLES / "kutt.csv").read_bytes()))
    await db.execute(update(ImportJob).where(ImportJob.id == job.id).values(updated_at=utcnow() - timedelta(hours=1)))
    await db.commit()

    async with imports.running_imports():
        deadline = asyncio.get_running_loop().time() + 10
        while (await db.get(ImportJob, job.id, populate_existing=True)).status != "failed" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)

    assert (await db.get(ImportJob, job.id, populate_existing=True)).status == "failed"


async def test_export_lists_every_link_with_safe_cells(client, monkeypatch):
    from linkapp.services.links import export

    monkeypatch.setattr(export, "CHUNK", 2)  # several chunks from a handful of links
    user = await register(client)
    other = await register(client)
    made = [
        await create_link(client, user, url="https://example.com/1", title="=cmd|' /C calc'!A0", tags=["b", "a"]),
        await create_link(client, user, url="https://example.com/2", slug="Custom-Code", max_clicks=5, expires_at="2099-05-01T12:00:00Z"),
        await create_link(client, user, url="https://example.com/3", title="Comma, inside"),
    ]
    await create_link(client, other, url="https://example.com/not-mine")

    response = await client.get("/api/v1/links/export.csv", headers=user["headers"])

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert rows[0] == ["id", "short_url", "url", "title", "slug", "tags", "created_at", "expires_at", "max_clicks", "total_clicks"]
    assert [row[0] for row in rows[1:]] == [link["id"] for link in made]
    first, second, third = (dict(zip(rows[0], row, strict=True)) for row in rows[1:])
    assert (first["title"], first["tags"], first["slug"], first["total_clicks"]) == ("'=cmd|' /C calc'!A0", "a, b", "", "0")
    assert (second["slug"], second["short_url"]) == ("Custom-Code", "http://testserver/Custom-Code")
    assert (second["max_clicks"], second["expires_at"]) == ("5", "2099-05-01T12:00:00Z")
    assert third["title"] == "Comma, inside"
    assert all(line.startswith('"') for line in response.text.split("\r\n")[:-1])


async def test_export_then_import_round_trip(client):
    user = await register(client)
    await create_link(client, user, url="https://example.com/a", title="@mention, and more", tags=["x", "y z"], slug="Round-Trip")
    await create_link(client, user, url="https://example.com/b", max_clicks=9, expires_at="2099-01-01T00:00:00Z")
    before = await links_of(client, user)
    exported = (await client.get("/api/v1/links/export.csv", headers=user["headers"])).content

    same_user = await import_file(client, user, exported)
    for link in before.values():
        assert (await client.delete(f"/api/v1/links/{link['id']}", headers=user["headers"])).status_code == 204
    restored = await import_file(client, user, exported)

    assert (same_user["created"], same_user["skipped"], same_user["failed"]) == (0, 2, 0)  # the auto-code link found by its id
    assert (restored["created"], restored["failed"]) == (2, 0)
    after = await links_of(client, user)
    fields = ("url", "title", "tags", "max_clicks", "expires_at", "created_at", "slug")
    assert [tuple(link[name] for name in fields) for link in after.values() if link["slug"]] == [tuple(before["Round-Trip"][name] for name in fields)]
    auto = [link for link in before.values() if not link["slug"]][0]
    assert [tuple(link[name] for name in fields) for link in after.values() if not link["slug"]] == [tuple(auto[name] for name in fields)]


async def test_rows_are_read_and_checked_off_the_event_loop(client, monkeypatch):
    import threading

    from linkapp.services.links import import_rows

    user = await register(client)
    checked_on: set[str] = set()
    check_row = import_rows.check_row

    def spying_check_row(raw, *, now):
        checked_on.add(threading.current_thread().name)
        return check_row(raw, now=now)

    monkeypatch.setattr("linkapp.services.links.imports.check_row", spying_check_row)
    job = await import_file(client, user, (SAMPLES / "shlink.csv").read_bytes())

    assert job["created"] == 2
    assert checked_on and threading.main_thread().name not in checked_on


async def test_latest_import_is_the_owners_newest_job(client, db):
    from linkapp.services.accounts.users import get_user_by_username
    from linkapp.services.links import imports

    user = await register(client)
    other = await register(client)
    owner = await get_user_by_username(db=db, username=user["username"])
    assert await imports.latest_import(db=db, owner_id=owner.id) is None
    await import_file(client, user, (SAMPLES / "kutt.csv").read_bytes())
    second = await import_file(client, user, (SAMPLES / "dub.csv").read_bytes())
    await import_file(client, other, (SAMPLES / "yourls.csv").read_bytes())

    latest = await imports.latest_import(db=db, owner_id=owner.id)

    assert (latest.id, latest.format, latest.created) == (second["id"], "dub", 2)
