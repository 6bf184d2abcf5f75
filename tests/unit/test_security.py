"""Password hashing and access tokens (linkapp.core.security), without HTTP or a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from linkapp.core import security
from linkapp.core.config import settings

PASSWORD = "Corr3ct-Horse!"


def _token(claims: dict, *, secret: str | None = None, algorithm: str | None = None) -> str:
    now = datetime.now(UTC)
    payload = {"sub": "abc123", "iat": now, "exp": now + timedelta(minutes=5), "type": "access", **claims}
    payload = {key: value for key, value in payload.items() if value is not None}
    return jwt.encode(payload, settings.JWT_SECRET if secret is None else secret, algorithm=algorithm or settings.JWT_ALGORITHM)


def test_verify_password_accepts_the_hashed_password():
    assert security.verify_password(PASSWORD, security.hash_password(PASSWORD))


def test_verify_password_rejects_another_password():
    stored = security.hash_password(PASSWORD)
    assert not security.verify_password("Corr3ct-Horse?", stored)
    assert not security.verify_password(PASSWORD.lower(), stored)
    assert not security.verify_password("", stored)


def test_hash_password_is_salted_and_hides_the_password():
    first, second = security.hash_password(PASSWORD), security.hash_password(PASSWORD)
    assert first != second
    assert PASSWORD not in first


def test_verify_password_distinguishes_passwords_differing_after_byte_72():
    # Plain bcrypt ignores everything past 72 bytes; these two would collide there.
    stored = security.hash_password("Aa1!" + "x" * 96)
    assert security.verify_password("Aa1!" + "x" * 96, stored)
    assert not security.verify_password("Aa1!" + "x" * 68 + "y" * 28, stored)
    assert not security.verify_password("Aa1!" + "x" * 68, stored)


def test_verify_password_distinguishes_long_multibyte_passwords():
    # 40 "é" are 80 bytes in UTF-8: the difference sits past bcrypt's 72-byte limit.
    stored = security.hash_password("Aa1!" + "é" * 40)
    assert security.verify_password("Aa1!" + "é" * 40, stored)
    assert not security.verify_password("Aa1!" + "é" * 39 + "e", stored)


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$2b$04$short", "$bcrypt-sha256$garbage"])
def test_verify_password_rejects_malformed_hashes_without_raising(stored):
    assert security.verify_password(PASSWORD, stored) is False


def test_dummy_password_hash_is_stable_and_matches_no_guess():
    assert security.dummy_password_hash() == security.dummy_password_hash()
    for guess in ("", PASSWORD, "password"):
        assert not security.verify_password(guess, security.dummy_password_hash())


def test_create_access_token_round_trips_the_subject():
    access = security.create_access_token("user42")
    assert security.decode_access_token(access.token) == "user42"


def test_create_access_token_lives_access_token_expire_minutes(monkeypatch):
    monkeypatch.setattr(settings, "ACCESS_TOKEN_EXPIRE_MINUTES", 7)
    access = security.create_access_token("user42")
    claims = jwt.decode(access.token, settings.JWT_SECRET, algorithms=[settings.JWT_ALGORITHM])
    assert access.expires_in == 7 * 60
    assert claims["exp"] - claims["iat"] == 7 * 60


def test_create_access_token_differs_every_time():
    assert security.create_access_token("user42").token != security.create_access_token("user42").token


def test_decode_access_token_accepts_a_token_built_by_hand():
    # Guards the helper below: the rejections that follow fail for the reason they name.
    assert security.decode_access_token(_token({})) == "abc123"


def test_decode_access_token_rejects_an_expired_token():
    past = datetime.now(UTC) - timedelta(hours=1)
    assert security.decode_access_token(_token({"iat": past, "exp": past + timedelta(minutes=15)})) is None


def test_decode_access_token_rejects_another_secret():
    assert security.decode_access_token(_token({}, secret="another-secret-" + "y" * 40)) is None


def test_decode_access_token_rejects_alg_none():
    now = datetime.now(UTC)
    unsigned = jwt.encode({"sub": "abc123", "iat": now, "exp": now + timedelta(minutes=5), "type": "access"}, None, algorithm="none")
    assert security.decode_access_token(unsigned) is None


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_decode_access_token_rejects_another_hmac_algorithm():
    other = "HS512" if settings.JWT_ALGORITHM != "HS512" else "HS256"
    assert security.decode_access_token(_token({}, algorithm=other)) is None


@pytest.mark.parametrize("claims", [{"type": "refresh"}, {"type": None}, {"exp": None}, {"sub": None}, {"iat": None}])
def test_decode_access_token_rejects_missing_or_wrong_claims(claims):
    assert security.decode_access_token(_token(claims)) is None


def test_decode_access_token_rejects_a_tampered_payload():
    header, _payload, signature = _token({}).split(".")
    _h, other_payload, _s = _token({"sub": "someone-else"}).split(".")
    assert security.decode_access_token(f"{header}.{other_payload}.{signature}") is None


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", security.new_refresh_token()])
def test_decode_access_token_rejects_non_jwts(token):
    assert security.decode_access_token(token) is None


def test_new_refresh_token_is_long_and_unique():
    tokens = {security.new_refresh_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(token) >= 43 for token in tokens)  # 32 random bytes, base64url


def test_hash_token_is_stable_and_does_not_contain_the_token():
    token = security.new_refresh_token()
    assert security.hash_token(token) == security.hash_token(token)
    assert security.hash_token(token) != security.hash_token(security.new_refresh_token())
    assert token not in security.hash_token(token)
    assert len(security.hash_token(token)) == 64


def test_hash_token_and_verify_password_survive_lone_surrogates():
    # JSON bodies can carry "\ud800": such input must simply match nothing.
    assert len(security.hash_token("abc\ud800")) == 64
    assert security.verify_password("Aa1!\ud800xyz", security.hash_password(PASSWORD)) is False
