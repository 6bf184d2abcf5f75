"""Settings read from the environment and `.env`, with safe development defaults."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Development secrets live here so that restarts keep tokens and short ids valid.
DEV_SECRETS_FILE = Path(".linkapp-secrets.json")
MIN_SECRET_LENGTH = 32
WEAK_SECRETS = {"changethis", "secret", "changeme", "password", "dev", "test"}
REDIRECT_STATUSES = (301, 302, 307, 308)
# Reflex's default dev-server port (reflex_base.constants.DefaultPorts.FRONTEND_PORT).
DEV_FRONTEND_PORT = 3000


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to change."""


def normalize_origin(value: str) -> str | None:
    """`scheme://host[:port]` as browsers compare origins: host lower-cased, default port dropped.

    Returns None for anything that is not an http(s) origin: `null`, a path, a user name.
    """
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" if port in (None, default) else f"{parts.scheme}://{host}:{port}"


def dev_frontend_origin(environ: Mapping[str, str] = os.environ) -> str | None:
    """The origin of Reflex's dev server when `reflex run` in dev mode serves the UI beside us.

    `reflex run` puts its mode, whether it runs the backend only and the frontend's port in the
    environment of the backend it starts. Only dev mode has a separate frontend server: prod and
    preview serve the UI from the app's own origin, and outside `reflex run` (tests, Alembic,
    scripts) there is none. Reflex's own reader would call an unset mode "dev": read them raw.
    """
    if environ.get("REFLEX_ENV_MODE", "").strip().lower() != "dev":
        return None
    if environ.get("REFLEX_BACKEND_ONLY", "").strip().lower() in ("true", "1", "yes", "y"):
        return None
    port = environ.get("REFLEX_FRONTEND_PORT", "").strip()
    return f"http://localhost:{int(port) if port.isdigit() else DEV_FRONTEND_PORT}"


def normalize_database_url(url: str) -> str:
    """Map every accepted PostgreSQL spelling to psycopg 3 and keep SQLite as given."""
    for prefix in ("postgres://", "postgresql://", "postgresql+asyncpg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith("sqlite+aiosqlite://"):
        return "sqlite://" + url[len("sqlite+aiosqlite://"):]
    return url


class Settings(BaseSettings):
    """Every knob of Linkapp; names match the environment variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    ENV: Literal["development", "production", "test"] = "development"
    DATABASE_URL: str = "sqlite:///./linkapp.db"
    REDIS_URL: str | None = None
    JWT_SECRET: str = ""
    JWT_ALGORITHM: Literal["HS256", "HS384", "HS512"] = "HS256"
    ACCESS_TOKEN_EXPIRE_MINUTES: int = 15
    REFRESH_TOKEN_EXPIRE_DAYS: int = 30
    HOST_URL: str = "http://localhost:8000"
    # Other names and addresses that reach this service (comma-separated, no scheme or port);
    # links may not point at them, nor at HOST_URL's host, on any port.
    SELF_HOSTS: Annotated[list[str], NoDecode] = []
    # Refuse links to private networks (10/8, 172.16/12, 192.168/16, fc00::/7); off for intranets.
    BLOCK_PRIVATE_TARGETS: bool = False
    PORT: int = 8000
    HASHID_SALT: str = ""
    HASHID_MIN_LENGTH: int = 6
    REDIRECT_STATUS_CODE: int = 302
    GEMINI_API_KEY: str | None = None
    # When set, GET /metrics wants it as a Bearer token (scrapers can send one); with
    # ENV=production /metrics answers 403 until it is set.
    METRICS_TOKEN: str | None = None
    GEMINI_MODEL: str = "gemini-2.5-flash"
    # For proxies and for the tests' local fake of Gemini's REST API.
    GEMINI_BASE_URL: str | None = None
    GEMINI_TIMEOUT_SECONDS: float = 20.0
    INSIGHT_CACHE_SECONDS: int = 300
    RATE_LIMIT_AI: str = "20/hour"
    # Origins besides HOST_URL's that browsers may call the API from (comma-separated in the
    # environment, a JSON list works too).
    CORS_ORIGINS: Annotated[list[str], NoDecode] = []
    TRUSTED_PROXIES: Annotated[list[str], NoDecode] = []
    RATE_LIMIT_LOGIN: str = "10/minute"
    # Per username across every address: slows a guesser with many addresses. A sign-in that
    # carries a refresh token issued to that account (a browser it was used in) is not counted.
    RATE_LIMIT_LOGIN_ACCOUNT: str = "50/hour"
    RATE_LIMIT_REGISTER: str = "20/hour"
    RATE_LIMIT_API: str = "600/minute"
    RATE_LIMIT_REDIRECT: str = "600/minute"
    # bcrypt cost; lower it only for tests.
    BCRYPT_ROUNDS: int = 12
    # Clicks waiting to be written; when full the redirect still answers and the writer catches up.
    CLICK_QUEUE_SIZE: int = 100_000
    # Under load the writer takes this many at once: a bigger batch shares more rollup rows
    # between its clicks (PostgreSQL: 5,500 clicks/s with 1,000, 6,900 with 5,000).
    CLICK_BATCH_SIZE: int = 5_000
    CLICK_FLUSH_INTERVAL: float = 0.25
    # Store batches in a process of the writer's own (services/clicks/store_process.py), off the
    # redirects' interpreter; false stores them on a thread of the app's process.
    CLICK_WRITER_PROCESS: bool = True
    LINK_CACHE_TTL: float = 60.0
    # Privacy: store IPv4 /24 and IPv6 /48 only; raw events older than this many days are deleted
    # (rollups stay). 0 keeps them forever.
    ANONYMIZE_IP: bool = True
    CLICK_RETENTION_DAYS: int = 0
    GEOIP_DB_PATH: str | None = None
    # Clicks that could not be written before a shutdown wait here and are replayed on start.
    SPOOL_DIR: str = "spool"
    # How long a stopping app keeps trying the database before it spools what is left.
    CLICK_STOP_TIMEOUT: float = 5.0
    # With REDIS_URL: the shared stream, and how long a dead instance's clicks wait before
    # another instance takes them over.
    CLICK_STREAM: str = "linkapp:clicks"
    CLICK_CLAIM_IDLE: float = 60.0
    # With REDIS_URL: where a changed link is announced, so every instance drops it from its cache.
    LINK_CHANNEL: str = "linkapp:link-changed"
    # With REDIS_URL: where an instance that stored clicks says so, so open dashboards on every
    # instance refresh.
    CLICKS_CHANNEL: str = "linkapp:clicks-stored"
    # With REDIS_URL: where each instance counts the clicks of links with max_clicks.
    ALLOWANCE_KEY_PREFIX: str = "linkapp:allowance"
    # With REDIS_URL: where all writers count each visitor's recent clicks on a link, to tell bursts.
    BURST_KEY_PREFIX: str = "linkapp:bursts"
    # With REDIS_URL: where AI answers are kept for INSIGHT_CACHE_SECONDS, for every instance.
    INSIGHT_KEY_PREFIX: str = "linkapp:insights"
    FORWARD_QUERY_PARAMS: bool = False
    # Webhooks may target loopback, private and link-local addresses (tests, intranets). Off by
    # default: a user's hook must not reach the machines around this server.
    WEBHOOK_ALLOW_PRIVATE: bool = False
    # Delivered (or given up) webhook events and delivery logs older than this are purged daily.
    WEBHOOK_LOG_DAYS: int = 14
    # Webhook deliveries each worker starts per second at most. A POST and its bookkeeping cost
    # Python about as much as 50 redirects: the cap keeps a busy link's clicks from slowing the
    # redirects (what is over it waits in the outbox, durably). 0 lifts it.
    WEBHOOK_MAX_RATE: float = 20.0

    @field_validator("CORS_ORIGINS", "TRUSTED_PROXIES", "SELF_HOSTS", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("CORS_ORIGINS")
    @classmethod
    def _check_cors_origins(cls, value: list[str]) -> list[str]:
        origins = []
        for entry in value:
            origin = "*" if entry.strip() == "*" else normalize_origin(entry)
            if origin is None:
                raise ValueError(f"CORS_ORIGINS lists origins such as https://app.example.com (scheme, host and port only), not {entry!r}")
            origins.append(origin)
        return origins

    @field_validator("REDIRECT_STATUS_CODE")
    @classmethod
    def _check_redirect_status(cls, value: int) -> int:
        if value not in REDIRECT_STATUSES:
            raise ValueError(f"REDIRECT_STATUS_CODE must be one of {REDIRECT_STATUSES}, not {value}")
        return value

    @field_validator("SELF_HOSTS")
    @classmethod
    def _check_self_hosts(cls, value: list[str]) -> list[str]:
        hosts = []
        for entry in value:
            host = entry.strip().lower()
            bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
            if not bare or any(ch in bare for ch in "/@?#[] ") or (":" in bare and not _is_ipv6(bare)):
                raise ValueError(f"SELF_HOSTS lists host names or addresses such as go.example.com or 203.0.113.5, without scheme or port, not {entry!r}")
            hosts.append(bare)
        return hosts

    @field_validator("HOST_URL")
    @classmethod
    def _check_host_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"HOST_URL must be an http(s) URL such as http://localhost:8000, not {value!r}")
        return value.rstrip("/")

    @field_validator("DATABASE_URL")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        value = normalize_database_url(value)
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return value

    @model_validator(mode="after")
    def _check_secrets(self) -> Settings:
        missing = [name for name in ("JWT_SECRET", "HASHID_SALT") if not getattr(self, name)]
        if self.ENV == "production":
            weak = [
                name
                for name in ("JWT_SECRET", "HASHID_SALT")
                if getattr(self, name)
                and (len(getattr(self, name)) < MIN_SECRET_LENGTH or getattr(self, name).lower() in WEAK_SECRETS)
            ]
            if missing or weak:
                raise ConfigError(
                    "ENV=production needs strong secrets: set "
                    + ", ".join(missing + weak)
                    + f" to random values of at least {MIN_SECRET_LENGTH} characters "
                    "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
                )
        elif missing:
            stored = _load_dev_secrets(missing)
            for name in missing:
                object.__setattr__(self, name, stored[name])
        return self

    @property
    def sync_database_url(self) -> str:
        """The URL for synchronous tools (Alembic, Reflex's CLI)."""
        return self.DATABASE_URL

    @property
    def async_database_url(self) -> str:
        """The URL for the app's async engine."""
        if self.DATABASE_URL.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + self.DATABASE_URL[len("sqlite://"):]
        return self.DATABASE_URL

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")

    @cached_property
    def host_netloc(self) -> str:
        """HOST_URL's host and port as links to it would spell them."""
        parts = urlsplit(self.HOST_URL)
        default = {"http": 80, "https": 443}[parts.scheme]
        host = (parts.hostname or "").lower()
        return host if parts.port in (None, default) else f"{host}:{parts.port}"

    @property
    def self_hosts(self) -> tuple[str, ...]:
        """HOST_URL's host and SELF_HOSTS: the hosts a link may not point at."""
        own = (urlsplit(self.HOST_URL).hostname or "").lower()
        return (own, *(host for host in self.SELF_HOSTS if host != own))

    @property
    def host_origin(self) -> str:
        """HOST_URL's origin, the one browsers send in `Origin` from the app's own pages."""
        parts = urlsplit(self.HOST_URL)
        return normalize_origin(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}") or self.HOST_URL

    @property
    def own_origins(self) -> list[str]:
        """The origins of the app's own pages: HOST_URL's, CORS_ORIGINS (a wildcard aside), and
        Reflex's dev server while `reflex run` (dev mode) runs one.

        Read on each call: `reflex run` sets its mode after it first loads rxconfig.py, then loads
        it again. These, never a wildcard, may spend the session cookie (api/origin.py).
        """
        dev = dev_frontend_origin()
        listed = [origin for origin in self.CORS_ORIGINS if origin != "*"]
        return list(dict.fromkeys([self.host_origin, *listed, *([dev] if dev else [])]))

    @property
    def cors_origins(self) -> list[str]:
        """The origins browsers may call the API and open Reflex's websocket from: own_origins, or
        `["*"]` (the spelling Reflex reads as any origin) when CORS_ORIGINS lists `*`."""
        return ["*"] if "*" in self.CORS_ORIGINS else self.own_origins

    @property
    def secure_cookies(self) -> bool:
        return self.HOST_URL.startswith("https://")


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _load_dev_secrets(names: list[str]) -> dict[str, str]:
    """Read the generated development secrets, creating the ones that are missing."""
    data: dict[str, str] = {}
    if DEV_SECRETS_FILE.exists():
        try:
            data = json.loads(DEV_SECRETS_FILE.read_text())
        except (OSError, ValueError):
            data = {}
    if any(name not in data for name in names):
        for name in names:
            data.setdefault(name, secrets.token_urlsafe(48))
        DEV_SECRETS_FILE.write_text(json.dumps(data, indent=2))
        os.chmod(DEV_SECRETS_FILE, 0o600)
    return data


settings = Settings()
