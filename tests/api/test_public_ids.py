"""Public ids over HTTP: a user's or key's id is never somebody's short link, old credentials still work."""

from __future__ import annotations

import pytest
from hashids import Hashids
from sqlalchemy import select

from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.core.security import create_access_token
from linkapp.models.api_key import ApiKey
from tests.api.test_api_keys import make_key
from tests.factories import create_link, register, short_path

LONG_SALT = "0123456789abcdef" * 4  # as long as the salt the app generates when none is set
ME, KEYS = "/api/v1/auth/me", "/api/v1/auth/keys"
SECRET_TARGET = "https://example.com/reset?token=victims-secret"


@pytest.fixture
def long_salt(monkeypatch):
    monkeypatch.setattr(settings, "HASHID_SALT", LONG_SALT)


def old_code(kind: str, number: int) -> str:
    """How users and keys were named before each kind had a salt of its own."""
    return Hashids(salt=f"{settings.HASHID_SALT}:{kind}", min_length=settings.HASHID_MIN_LENGTH, alphabet=ids.ALPHABET).encode(number)


async def test_ids_handed_to_an_outsider_are_not_short_links(long_salt, client, db):
    victim = await register(client)
    link = await create_link(client, victim, url=SECRET_TARGET)
    outsider = await register(client)
    key = await make_key(client, outsider)
    # The attack needs a link and a key of the same number: make more of whichever lags behind
    # (the tables are emptied between tests, their numbering goes on).
    while (key_number := ids.decode_key_id(key["id"])) != (link_number := ids.decode_link_id(link["id"])):
        if link_number < key_number:
            link = await create_link(client, victim, url=SECRET_TARGET)
        else:
            key = await make_key(client, outsider)
    assert (await client.delete(f"{KEYS}/{key['id']}", headers=outsider["headers"])).status_code == 204

    for code in (key["id"], outsider["id"], victim["id"]):
        answer = await client.get(f"/{code}")
        assert answer.status_code == 404, code
        assert SECRET_TARGET not in answer.headers.get("location", "")
    assert (await client.get(short_path(link))).headers["location"] == SECRET_TARGET


async def test_an_access_token_from_before_the_upgrade_still_works(client, db):
    user = await register(client)
    user_id = ids.decode_user_id(user["id"])
    old_token = create_access_token(old_code("user", user_id)).token

    me = await client.get(ME, headers={"Authorization": f"Bearer {old_token}"})

    assert me.status_code == 200 and me.json()["id"] == user["id"] and user["id"].startswith("usr_")


async def test_a_key_id_listed_before_the_upgrade_still_revokes_the_key(client, db):
    user = await register(client)
    key = await make_key(client, user)
    key_id = (await db.execute(select(ApiKey.id))).scalar_one()

    assert key["id"].startswith("key_")
    assert (await client.delete(f"{KEYS}/{old_code('key', key_id)}", headers=user["headers"])).status_code == 204
    assert (await client.get(ME, headers={"Authorization": f"Bearer {key['key']}"})).status_code == 401
