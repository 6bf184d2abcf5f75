"""/healthz tells a load balancer whether the database answers."""

from __future__ import annotations

from linkapp import db as database


async def test_healthz_ok_when_database_answers(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_healthz_503_problem_when_database_is_down(client, database_url, tmp_path):
    # Point the app at a database that cannot be reached, then back.
    await database.configure("postgresql+psycopg://postgres@127.0.0.1:1/none" if "postgresql" in database_url else f"sqlite+aiosqlite:///{tmp_path}/missing-dir/x.db")
    try:
        response = await client.get("/healthz")
    finally:
        from tests.conftest import async_url

        await database.configure(async_url(database_url))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503 and "database" in body["detail"].lower()
    assert "127.0.0.1:1" not in response.text  # no connection details leak
