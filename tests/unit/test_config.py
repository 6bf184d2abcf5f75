"""Settings: database URL spellings, secrets in production and development."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from linkapp.core import config
from linkapp.core.config import ConfigError, Settings

STRONG = "s" * 40


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/app", "postgresql+psycopg://u:p@db:5432/app"),
        ("postgresql://u@db/app", "postgresql+psycopg://u@db/app"),
        ("postgresql+asyncpg://u@db/app", "postgresql+psycopg://u@db/app"),
        ("sqlite:///./x.db", "sqlite:///./x.db"),
    ],
)
def test_database_url_spellings_map_to_psycopg3(given, expected):
    settings = Settings(DATABASE_URL=given, JWT_SECRET=STRONG, HASHID_SALT=STRONG)
    assert settings.DATABASE_URL == expected


def test_async_url_uses_aiosqlite_for_sqlite():
    settings = Settings(DATABASE_URL="sqlite:///./x.db", JWT_SECRET=STRONG, HASHID_SALT=STRONG)
    assert settings.async_database_url == "sqlite+aiosqlite:///./x.db"


def test_database_url_of_other_kinds_is_refused():
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        Settings(DATABASE_URL="mysql://u@db/app", JWT_SECRET=STRONG, HASHID_SALT=STRONG)


@pytest.mark.parametrize("status", [200, 303, 404])
def test_redirect_status_code_outside_301_302_307_308_is_refused(status):
    with pytest.raises(ValidationError, match="REDIRECT_STATUS_CODE"):
        Settings(REDIRECT_STATUS_CODE=status, JWT_SECRET=STRONG, HASHID_SALT=STRONG)


@pytest.mark.parametrize(
    ("secret", "salt"),
    [("", STRONG), (STRONG, ""), ("short", STRONG), ("changethis", STRONG), (STRONG, "secret")],
)
def test_production_start_refused_with_missing_or_weak_secrets(secret, salt):
    with pytest.raises(ConfigError, match="ENV=production needs strong secrets"):
        Settings(ENV="production", JWT_SECRET=secret, HASHID_SALT=salt)


def test_production_starts_with_strong_secrets():
    settings = Settings(ENV="production", JWT_SECRET=STRONG, HASHID_SALT="t" * 40)
    assert settings.JWT_SECRET == STRONG


def test_development_secrets_are_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "DEV_SECRETS_FILE", tmp_path / "secrets.json")
    first = Settings(ENV="development", JWT_SECRET="", HASHID_SALT="")
    second = Settings(ENV="development", JWT_SECRET="", HASHID_SALT="")
    assert len(first.JWT_SECRET) >= 32 and len(first.HASHID_SALT) >= 32
    assert (first.JWT_SECRET, first.HASHID_SALT) == (second.JWT_SECRET, second.HASHID_SALT)
    assert json.loads((tmp_path / "secrets.json").read_text())["JWT_SECRET"] == first.JWT_SECRET


def test_list_settings_accept_comma_separated_values():
    settings = Settings(CORS_ORIGINS="https://a.example, https://b.example", JWT_SECRET=STRONG, HASHID_SALT=STRONG)
    assert settings.CORS_ORIGINS == ["https://a.example", "https://b.example"]
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_list_settings_read_from_the_environment_comma_separated_or_json(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    monkeypatch.setenv("CORS_ORIGINS", '["https://a.example"]')
    settings = Settings(JWT_SECRET=STRONG, HASHID_SALT=STRONG)
    assert settings.TRUSTED_PROXIES == ["127.0.0.1", "10.0.0.0/8"]
    assert settings.CORS_ORIGINS == ["https://a.example"]


def test_self_hosts_read_comma_separated_and_always_include_host_url(monkeypatch):
    monkeypatch.setenv("SELF_HOSTS", "go.example.com, 203.0.113.5 ,[2001:DB8::5]")
    settings = Settings(HOST_URL="https://Short.Example:8443", JWT_SECRET=STRONG, HASHID_SALT=STRONG)
    assert settings.SELF_HOSTS == ["go.example.com", "203.0.113.5", "2001:db8::5"]
    assert settings.self_hosts == ("short.example", "go.example.com", "203.0.113.5", "2001:db8::5")


def test_self_hosts_default_to_host_url_host():
    settings = Settings(HOST_URL="http://localhost:8000", JWT_SECRET=STRONG, HASHID_SALT=STRONG)
    assert settings.SELF_HOSTS == []
    assert settings.self_hosts == ("localhost",)


@pytest.mark.parametrize("entry", ["https://go.example.com", "go.example.com:8443", "go.example.com/path", "user@go.example.com", "[2001:db8::5]:80"])
def test_self_hosts_with_scheme_port_or_path_are_refused(entry):
    with pytest.raises(ValidationError, match="SELF_HOSTS"):
        Settings(SELF_HOSTS=entry, JWT_SECRET=STRONG, HASHID_SALT=STRONG)


def test_block_private_targets_is_off_by_default_and_read_from_the_environment(monkeypatch):
    assert Settings(JWT_SECRET=STRONG, HASHID_SALT=STRONG).BLOCK_PRIVATE_TARGETS is False
    monkeypatch.setenv("BLOCK_PRIVATE_TARGETS", "true")
    assert Settings(JWT_SECRET=STRONG, HASHID_SALT=STRONG).BLOCK_PRIVATE_TARGETS is True


def test_login_account_limit_is_50_an_hour_by_default_and_read_from_the_environment(monkeypatch):
    monkeypatch.delenv("RATE_LIMIT_LOGIN_ACCOUNT", raising=False)
    assert Settings(JWT_SECRET=STRONG, HASHID_SALT=STRONG).RATE_LIMIT_LOGIN_ACCOUNT == "50/hour"
    monkeypatch.setenv("RATE_LIMIT_LOGIN_ACCOUNT", "20/hour")
    assert Settings(JWT_SECRET=STRONG, HASHID_SALT=STRONG).RATE_LIMIT_LOGIN_ACCOUNT == "20/hour"
