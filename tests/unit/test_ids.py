"""Public ids: link codes never change, and no two kinds of record ever share a code."""

from __future__ import annotations

import pytest

from linkapp.core import ids
from linkapp.core.config import settings

LONG_SALT = "0123456789abcdef" * 4  # as long as `secrets.token_urlsafe(48)`, the generated salt
# Computed by the code that printed every short link so far; a changed value is a broken link.
LINK_CODES = {
    "test-salt": {1: "1qgmql", 2: "xq9539", 42: "gq5j93", 1000: "e652pq", 2**31 - 1: "71r66vrw"},
    "pepper": {1: "no74o1", 2: "4j2xor", 42: "no82zo", 1000: "ok13yj", 2**31 - 1: "zvq770q3"},
    LONG_SALT: {1: "7dj86k", 2: "7dx0dy", 42: "odkmog", 1000: "6o3wj6", 2**31 - 1: "1l133n1q"},
}
# What user 1 and key 1 were called before kinds had salts of their own (with "test-salt").
OLD_USER_1, OLD_KEY_1 = "dn193z", "5m614p"
RANGE = range(1, 3001)


@pytest.fixture
def salt(monkeypatch):
    def use(value: str) -> None:
        monkeypatch.setattr(settings, "HASHID_SALT", value)

    return use


@pytest.mark.parametrize("value", list(LINK_CODES))
def test_link_codes_are_unchanged_whatever_the_salt(salt, value):
    salt(value)
    for link_id, code in LINK_CODES[value].items():
        assert ids.encode_link_id(link_id) == code
        assert ids.decode_link_id(code) == link_id


@pytest.mark.parametrize("length", [1, 9, 22, 23, 24, 32, 64, 300])
def test_link_user_and_key_never_share_a_code_whatever_the_salt_length(salt, length):
    salt(LONG_SALT * 5 if length == 300 else (LONG_SALT * 5)[:length])
    links = {ids.encode_link_id(n) for n in RANGE}
    users = {ids.encode_user_id(n) for n in RANGE}
    keys = {ids.encode_key_id(n) for n in RANGE}

    assert len(links) == len(users) == len(keys) == len(RANGE)
    assert not links & users and not links & keys and not users & keys


def test_a_key_or_user_code_never_decodes_as_a_link(salt):
    salt(LONG_SALT)
    for n in RANGE:
        key, user = ids.encode_key_id(n), ids.encode_user_id(n)
        assert ids.decode_link_id(key) is None and ids.decode_link_id(key.lower()) is None
        assert ids.decode_link_id(user) is None and ids.decode_link_id(user.lower()) is None
        assert ids.decode_user_id(key) is None and ids.decode_key_id(user) is None
        assert ids.decode_key_id(key) == n and ids.decode_user_id(user) == n


def test_user_and_key_codes_depend_on_the_whole_salt(salt):
    """hashids reads only a salt's first ~24 characters; the derived salts are read whole."""
    salt(LONG_SALT)
    before = [ids.encode_user_id(1), ids.encode_key_id(1), ids.encode_link_id(1)]
    salt(LONG_SALT[:-1] + "!")
    after = [ids.encode_user_id(1), ids.encode_key_id(1), ids.encode_link_id(1)]

    assert before[0] != after[0] and before[1] != after[1]
    assert before[2] == after[2]  # link codes stay as hashids has always spelt them


def test_user_and_key_codes_say_their_kind(salt):
    salt("test-salt")
    assert ids.encode_user_id(1).startswith("usr_") and ids.encode_key_id(1).startswith("key_")


def test_old_user_and_key_codes_are_still_read_but_no_longer_written(salt):
    """Access tokens issued before the upgrade name their user the old way; scripts may hold old key ids."""
    salt("test-salt")
    assert ids.decode_user_id(OLD_USER_1) == 1 and ids.decode_key_id(OLD_KEY_1) == 1
    assert ids.encode_user_id(1) != OLD_USER_1 and ids.encode_key_id(1) != OLD_KEY_1


@pytest.mark.parametrize("code", ["", "usr_", "key_", "USR_abcdef", "usr_" + "a" * 40, "usr_!!!!!!", "1", "usr_usr_abcdef", "1qgmql "])
def test_malformed_codes_decode_to_none(salt, code):
    salt("test-salt")
    assert ids.decode_user_id(code) is None and ids.decode_key_id(code) is None


def test_only_the_canonical_spelling_decodes(salt):
    salt("test-salt")
    user = ids.encode_user_id(7)
    assert ids.decode_user_id(user.upper()) is None
    assert ids.decode_user_id(user + "a") is None
    assert ids.decode_link_id(LINK_CODES["test-salt"][1].upper()) is None
