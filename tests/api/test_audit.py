"""/api/v1/auth/audit: each account's security events, newest first, addresses only as their prefix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select

from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.core.net import ip_prefix
from linkapp.models.audit import AuditEvent
from linkapp.models.user import User
from linkapp.services.accounts import audit
from tests.factories import create_link, register

AUDIT = "/api/v1/auth/audit"
EVENT_FIELDS = {"id", "at", "event", "ip_prefix", "detail"}


def client_at(asgi_app, ip: str) -> httpx.AsyncClient:
    """Another client of the same app, connecting from `ip`."""
    transport = httpx.ASGITransport(app=asgi_app, raise_app_exceptions=False, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def make_key(client, user: dict, name: str, headers: dict | None = None) -> dict:
    response = await client.post("/api/v1/auth/keys", json={"name": name}, headers={**user["headers"], **(headers or {})})
    assert response.status_code == 201, response.text
    return response.json()


async def events(client, user: dict, **params) -> dict:
    response = await client.get(AUDIT, params=params, headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


def of_kind(page: dict, *kinds: str) -> list[tuple[str, str]]:
    # Sign-in code may add its own events (registered, signed_in): look at the ones under test.
    return [(item["event"], item["detail"]) for item in page["items"] if item["event"] in kinds]


async def test_audit_log_pages_newest_first_with_total(client):
    user = await register(client)
    first = await make_key(client, user, "first script")
    second = await make_key(client, user, "second script")
    assert (await client.delete(f"/api/v1/auth/keys/{first['id']}", headers=user["headers"])).status_code == 204

    everything = await events(client, user, limit=100)
    page = await events(client, user, limit=2, offset=1)

    assert of_kind(everything, "api_key_created", "api_key_revoked") == [
        ("api_key_revoked", f"first script ({first['prefix']}…)"),
        ("api_key_created", f"second script ({second['prefix']}…)"),
        ("api_key_created", f"first script ({first['prefix']}…)"),
    ]
    assert everything["total"] == len(everything["items"]) >= 3
    assert (page["total"], page["limit"], page["offset"]) == (everything["total"], 2, 1)
    assert page["items"] == everything["items"][1:3]
    moments = [datetime.fromisoformat(item["at"]) for item in everything["items"]]
    assert moments == sorted(moments, reverse=True) and all(moment.utcoffset() == timedelta(0) for moment in moments)
    item = everything["items"][0]
    assert set(item) == EVENT_FIELDS and item["id"].startswith("aud_")


async def test_audit_log_needs_a_signed_in_user(client):
    response = await client.get(AUDIT)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_audit_log_refuses_page_parameters_out_of_range(client):
    user = await register(client)
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert (await client.get(AUDIT, params=params, headers=user["headers"])).status_code == 422, params


async def test_audit_log_never_shows_another_users_events(client):
    owner, stranger = await register(client), await register(client)
    key = await make_key(client, owner, "owner's script")
    link = await create_link(client, owner)
    await client.delete(f"/api/v1/links/{link['id']}", headers=owner["headers"])
    # The stranger's own attempt on the owner's key is refused and leaves nothing behind.
    assert (await client.delete(f"/api/v1/auth/keys/{key['id']}", headers=stranger["headers"])).status_code == 404

    theirs = await events(client, stranger, limit=100)
    mine = await events(client, owner, limit=100)

    assert of_kind(theirs, "api_key_created", "api_key_revoked", "link_deleted") == []
    assert not {item["id"] for item in theirs["items"]} & {item["id"] for item in mine["items"]}
    assert of_kind(mine, "api_key_revoked") == []
    assert len(of_kind(mine, "api_key_created", "link_deleted")) == 2


async def test_keys_and_deleted_links_are_logged_with_the_address_prefix_only(client, asgi_app, monkeypatch):
    # Even with anonymization of clicks turned off, the audit log keeps only the network.
    monkeypatch.setattr(settings, "ANONYMIZE_IP", False)
    async with client_at(asgi_app, "198.51.100.77") as there:
        user = await register(there)
        link = await create_link(there, user)
        key = await make_key(there, user, "deploy bot")
        assert (await there.delete(f"/api/v1/auth/keys/{key['id']}", headers=user["headers"])).status_code == 204
        assert (await there.delete(f"/api/v1/links/{link['id']}", headers=user["headers"])).status_code == 204
        response = await there.get(AUDIT, params={"limit": 100}, headers=user["headers"])

    logged = [item for item in response.json()["items"] if item["event"] in ("api_key_created", "api_key_revoked", "link_deleted")]
    assert [(item["event"], item["detail"], item["ip_prefix"]) for item in logged] == [
        ("link_deleted", link["id"], "198.51.100.0"),
        ("api_key_revoked", f"deploy bot ({key['prefix']}…)", "198.51.100.0"),
        ("api_key_created", f"deploy bot ({key['prefix']}…)", "198.51.100.0"),
    ]
    assert "198.51.100.77" not in response.text


async def test_audit_log_takes_the_address_a_trusted_proxy_names(client, monkeypatch):
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])
    user = await register(client)
    await make_key(client, user, "ipv6 script", headers={"X-Forwarded-For": "2001:db8:abcd:12:1:2:3:4"})

    [created] = [item for item in (await events(client, user, limit=100))["items"] if item["event"] == "api_key_created"]
    assert created["ip_prefix"] == "2001:db8:abcd::"


async def test_deleting_a_user_deletes_their_audit_events(client, db):
    gone, stays = await register(client), await register(client)
    await make_key(client, gone, "script")
    await make_key(client, stays, "script")

    await db.execute(delete(User).where(User.id == ids.decode_user_id(gone["id"])))
    await db.commit()

    owners = (await db.execute(select(AuditEvent.user_id).distinct())).scalars().all()
    assert owners == [ids.decode_user_id(stays["id"])]


async def test_record_keeps_the_prefix_and_refuses_unknown_events(client, db):
    user_id = ids.decode_user_id((await register(client))["id"])

    with pytest.raises(ValueError, match="unknown audit event"):
        audit.record(db, user_id=user_id, event="signed_in_by_magic")
    audit.record(db, user_id=user_id, event="signed_in", ip="::ffff:203.0.113.9", detail="x" * 500)
    audit.record(db, user_id=user_id, event="signed_out", ip="unknown")
    await db.commit()

    rows, total = await audit.page(db, user_id=user_id, limit=100, offset=0)
    by_event = {row.event: row for row in rows}
    assert by_event["signed_in"].ip_prefix == "203.0.113.0" and by_event["signed_in"].detail == "x" * 200
    assert by_event["signed_out"].ip_prefix is None and by_event["signed_out"].detail == ""
    assert total == len(rows)
    assert ids.decode_audit_id(audit.public(by_event["signed_in"])["id"]) == by_event["signed_in"].id


async def test_prune_forgets_old_events_and_all_but_each_users_newest(client, db):
    busy = ids.decode_user_id((await register(client))["id"])
    quiet = ids.decode_user_id((await register(client))["id"])
    soon = datetime.now(UTC) + timedelta(hours=1)  # newer than whatever signing up logged
    for n in range(5):
        db.add(AuditEvent(user_id=busy, event="sign_in_failed", at=soon - timedelta(minutes=n), detail=f"guess {n}"))
    db.add(AuditEvent(user_id=quiet, event="signed_in", at=soon - audit.RETENTION - timedelta(days=1), detail="last year"))
    db.add(AuditEvent(user_id=quiet, event="signed_in", at=soon, detail="today"))
    await db.commit()

    assert await audit.prune(db, now=soon, keep=3) >= 3
    await db.commit()

    left = {user_id: [row.detail for row in (await audit.page(db, user_id=user_id, limit=100, offset=0))[0]] for user_id in (busy, quiet)}
    assert left[busy] == ["guess 0", "guess 1", "guess 2"]
    assert "today" in left[quiet] and "last year" not in left[quiet]
    assert (await db.execute(select(func.count()).select_from(AuditEvent))).scalar_one() == len(left[busy]) + len(left[quiet])


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("198.51.100.77", "198.51.100.0"),
        ("::ffff:198.51.100.77", "198.51.100.0"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
        ("unknown", None),
        (None, None),
    ],
)
def test_ip_prefix_is_the_ipv4_24_or_ipv6_48(address, prefix):
    assert ip_prefix(address) == prefix
