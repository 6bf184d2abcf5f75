"""Settings: database URL spellings, secrets in production and development."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from linkapp.core import config
from linkapp.core.config import ConfigError, Settings, dev_frontend_origin

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


# What `reflex run` puts in its backend's environment (seen in the backend worker of reflex 0.10.1).
REFLEX_DEV = {
    "REFLEX_ENV_MODE": "dev", "REFLEX_BACKEND_ONLY": "False", "REFLEX_FRONTEND_ONLY": "False", "REFLEX_FRONTEND_PORT": "3001", "REFLEX_BACKEND_PORT": "8000",
}
REFLEX_PROD = {
    "REFLEX_ENV_MODE": "prod", "REFLEX_BACKEND_ONLY": "False", "REFLEX_FRONTEND_ONLY": "False", "REFLEX_FRONTEND_PORT": "8000", "REFLEX_BACKEND_PORT": "8000",
}
REFLEX_VARIABLES = ("REFLEX_ENV_MODE", "REFLEX_BACKEND_ONLY", "REFLEX_FRONTEND_ONLY", "REFLEX_FRONTEND_PORT", "REFLEX_BACKEND_PORT")


def reflex_run(monkeypatch, variables: dict[str, str]) -> None:
    for name in REFLEX_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (REFLEX_DEV, "http://localhost:3001"),
        ({**REFLEX_DEV, "REFLEX_FRONTEND_PORT": ""}, "http://localhost:3000"),
        (REFLEX_PROD, None),
        ({**REFLEX_PROD, "REFLEX_ENV_MODE": "preview"}, None),
        ({**REFLEX_DEV, "REFLEX_BACKEND_ONLY": "true"}, None),
        ({}, None),
    ],
    ids=["dev", "dev-default-port", "prod", "preview", "dev-backend-only", "outside-reflex-run"],
)
def test_dev_frontend_origin_only_while_reflex_dev_server_runs(environ, expected):
    assert dev_frontend_origin(environ) == expected


def test_cors_under_reflex_prod_run_allows_only_the_app_origin(monkeypatch):
    reflex_run(monkeypatch, REFLEX_PROD)
    settings = Settings(ENV="development", HOST_URL="http://localhost:8000", JWT_SECRET=STRONG, HASHID_SALT=STRONG)
    assert settings.cors_origins == ["http://localhost:8000"]


def test_cors_under_reflex_dev_run_adds_the_dev_server_on_its_real_port(monkeypatch):
    reflex_run(monkeypatch, REFLEX_DEV)
    settings = Settings(ENV="development", HOST_URL="http://localhost:8000", JWT_SECRET=STRONG, HASHID_SALT=STRONG)
    assert settings.cors_origins == ["http://localhost:8000", "http://localhost:3001"]


def test_cors_follows_the_reflex_mode_set_after_settings_were_read(monkeypatch):
    # `reflex run` loads rxconfig.py before it sets its mode, then loads it again.
    reflex_run(monkeypatch, {})
    settings = Settings(HOST_URL="http://localhost:8000", JWT_SECRET=STRONG, HASHID_SALT=STRONG)
    assert settings.cors_origins == ["http://localhost:8000"]
    reflex_run(monkeypatch, REFLEX_DEV)
    assert settings.cors_origins == ["http://localhost:8000", "http://localhost:3001"]


def test_cors_origins_add_to_host_url_origin_normalized(monkeypatch):
    reflex_run(monkeypatch, REFLEX_PROD)
    listed = "https://App.Example:443/, http://localhost:8080, https://short.example"
    settings = Settings(HOST_URL="HTTPS://Short.Example:443/", CORS_ORIGINS=listed, JWT_SECRET=STRONG, HASHID_SALT=STRONG)
    assert settings.CORS_ORIGINS == ["https://app.example", "http://localhost:8080", "https://short.example"]
    assert settings.cors_origins == ["https://short.example", "https://app.example", "http://localhost:8080"]


def test_cors_wildcard_opens_cors_but_never_counts_as_own_origin(monkeypatch):
    reflex_run(monkeypatch, REFLEX_PROD)
    settings = Settings(HOST_URL="https://short.example", CORS_ORIGINS="*", JWT_SECRET=STRONG, HASHID_SALT=STRONG)
    assert settings.cors_origins == ["*"]
    assert settings.own_origins == ["https://short.example"]


@pytest.mark.parametrize("entry", ["app.example", "https://app.example/ui", "ftp://app.example", "https://user@app.example", "null"])
def test_cors_origins_that_are_not_origins_are_refused(entry):
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        Settings(CORS_ORIGINS=entry, JWT_SECRET=STRONG, HASHID_SALT=STRONG)


def test_reflex_prod_run_without_configuration_keeps_generated_secrets(tmp_path, monkeypatch):
    # The README's `reflex run --env prod` with nothing set: still development, secrets kept locally.
    monkeypatch.setattr(config, "DEV_SECRETS_FILE", tmp_path / "secrets.json")
    monkeypatch.delenv("ENV", raising=False)
    reflex_run(monkeypatch, REFLEX_PROD)
    settings = Settings(JWT_SECRET="", HASHID_SALT="")
    assert settings.ENV == "development"
    assert json.loads((tmp_path / "secrets.json").read_text())["JWT_SECRET"] == settings.JWT_SECRET
