"""The `linkapp` command line, run as a shell would run it (Typer's CliRunner) against the real database.

Each command runs its own event loop (`asyncio.run`), so the runner is called in a worker thread
while the test's own loop waits."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from typer.testing import CliRunner

from linkapp.cli import app
from tests.factories import PASSWORD, create_link, register, store_clicks

SAMPLES = Path(__file__).resolve().parent / "data" / "imports"


async def linkapp(*args: str, input: str | None = None):
    runner = CliRunner()
    return await anyio.to_thread.run_sync(lambda: runner.invoke(app, list(args), input=input))


async def links_of(client, user) -> dict[str, dict]:
    items = (await client.get("/api/v1/links", params={"limit": 100}, headers=user["headers"])).json()["items"]
    return {item["slug"] or item["id"]: item for item in items}


async def test_help_lists_every_command():
    result = await linkapp("--help")
    assert result.exit_code == 0
    for command in ("create-user", "import", "export", "rebuild-rollups", "rescore-bots", "purge"):
        assert command in result.output


async def test_create_user_asks_twice_and_refuses_weak_passwords(client):
    # A weak one, then two that differ, then the same good one twice.
    result = await linkapp("create-user", "cli_ann", input=f"password\npassword\n{PASSWORD}\nother-Pass-1!\n{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "This password is too common" in result.output
    assert "do not match" in result.output
    assert PASSWORD not in result.output  # never echoed
    login = await client.post("/api/v1/auth/login", json={"username": "cli_ann", "password": PASSWORD})
    assert login.status_code == 200


async def test_create_user_gives_up_after_three_weak_passwords(client):
    result = await linkapp("create-user", "cli_bob", input="short\nshort\nshort\nshort\nshort\nshort\n")

    assert result.exit_code == 1
    assert "nothing was created" in result.output
    assert (await client.post("/api/v1/auth/login", json={"username": "cli_bob", "password": "short"})).status_code == 401


async def test_create_user_refuses_a_taken_name(client):
    user = await register(client)
    result = await linkapp("create-user", user["username"].upper(), input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 1
    assert "taken" in result.output


async def test_import_reports_counts_and_failed_rows(client):
    user = await register(client)

    result = await linkapp("import", str(SAMPLES / "yourls.csv"), "--user", user["username"])

    assert result.exit_code == 0, result.output
    assert "done" in result.output
    assert "A custom short code is 3 to 64 letters" in result.output  # row 5
    assert set(await links_of(client, user)) == {"ozh", "yourls-gh", "multi"}


async def test_import_with_update_mode_changes_existing_links(client, tmp_path):
    user = await register(client)
    await create_link(client, user, url="https://example.com/old", slug="cli-code")
    changed = tmp_path / "changes.csv"
    changed.write_text("keyword,url,title\ncli-code,https://example.com/new,Renamed\n")

    skipped = await linkapp("import", str(changed), "--user", user["username"])
    updated = await linkapp("import", str(changed), "-u", user["username"], "--mode", "update")

    assert skipped.exit_code == updated.exit_code == 0
    link = (await links_of(client, user))["cli-code"]
    assert (link["url"], link["title"]) == ("https://example.com/new", "Renamed")


async def test_import_of_unknown_user_or_format_fails(client, tmp_path):
    user = await register(client)
    odd = tmp_path / "odd.csv"
    odd.write_text("name,address\nx,y\n")

    nobody = await linkapp("import", str(SAMPLES / "dub.csv"), "--user", "nobody_here")
    unknown = await linkapp("import", str(odd), "--user", user["username"])

    assert nobody.exit_code == unknown.exit_code == 1
    assert "no user named" in nobody.output
    assert "not one we know" in unknown.output


async def test_export_writes_the_same_csv_as_the_api(client, tmp_path):
    user = await register(client)
    await create_link(client, user, url="https://example.com/1", title="+1 formula", tags=["t"])
    await create_link(client, user, url="https://example.com/2", slug="second")
    target = tmp_path / "links.csv"

    to_file = await linkapp("export", "--user", user["username"], "-o", str(target))
    to_stdout = await linkapp("export", "--user", user["username"])

    api = (await client.get("/api/v1/links/export.csv", headers=user["headers"])).text
    assert to_file.exit_code == 0 and "Exported 2 links" in to_file.output
    assert target.read_bytes().decode() == api
    rows = list(csv.DictReader(io.StringIO(to_stdout.stdout)))
    assert [row["title"] for row in rows] == ["'+1 formula", "example.com"]


async def test_purge_needs_days_and_deletes_old_clicks(client):
    user = await register(client)
    link = await create_link(client, user)
    now = datetime.now(UTC)
    await store_clicks(link, now - timedelta(days=40), now - timedelta(days=1))

    refused = await linkapp("purge")
    purged = await linkapp("purge", "--days", "30")

    assert refused.exit_code == 2 and "CLICK_RETENTION_DAYS" in refused.output
    assert purged.exit_code == 0 and "Deleted 1 clicks older than 30 days" in purged.output


@pytest.mark.parametrize("command", ["rebuild-rollups", "rescore-bots"])
async def test_rollup_commands_keep_the_figures(client, command):
    user = await register(client)
    link = await create_link(client, user)
    await store_clicks(link, datetime.now(UTC) - timedelta(hours=1))

    result = await linkapp(command)

    assert result.exit_code == 0, result.output
    assert (await client.get(f"/api/v1/links/{link['id']}", headers=user["headers"])).json()["total_clicks"] == 1
