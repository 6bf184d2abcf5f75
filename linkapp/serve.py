"""Serve the production app as `reflex run --env prod --single-port` does, minus the rebuild of an
unchanged frontend.

`reflex run --env prod` compiles the pages to JavaScript (a few seconds), then always runs the
Vite production build (about 15 s), even when nothing changed since the last start. Here Reflex's
own `run` command does everything, with one step guarded: after the compile, a digest of what the
build reads (.web's sources, env.json, package.json, bun.lock) is compared with the one stored
beside the last build, and a match skips the build. Settings that end up in the pages (HOST_URL,
ACCESS_TOKEN_EXPIRE_MINUTES...) change those sources, so they do rebuild.

It also keeps `reflex.lock/package.json` in its committed form (bun writes it indented, Reflex's
own template on one line, so the file flipped on every fresh `.web`), and says in plain words
the start-up notices of Reflex that mean nothing here.

    python -m linkapp.serve [--port 8000] [--rebuild] [--build-only] [other `reflex run` options]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

STAMP = "linkapp-frontend.sha256"
REUSED = "The frontend is unchanged since its last build: serving it as it is."
# In .web but not read by the build, or rewritten on every start.
NOT_BUILD_INPUTS = frozenset({"node_modules", "build", ".react-router", "reflex.json", "reflex.install_frontend_packages.cached"})


def frontend_digest(web_dir: Path, environ: Mapping[str, str] = os.environ) -> str:
    """A digest of what the production build reads: `.web`'s files (less its output, its
    installed packages and Reflex's bookkeeping) and the `VITE_*` variables."""
    digest = hashlib.sha256()
    for path in sorted(_build_inputs(web_dir)):
        digest.update(path.relative_to(web_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in sorted(name for name in environ if name.startswith("VITE_")):
        digest.update(f"{name}={environ[name]}\0".encode())
    return digest.hexdigest()


def _build_inputs(web_dir: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(web_dir):
        if Path(root) == web_dir:
            dirs[:] = [name for name in dirs if name not in NOT_BUILD_INPUTS]
            files = [name for name in files if name not in NOT_BUILD_INPUTS]
        for name in files:
            path = Path(root) / name
            if path.is_file():
                yield path


def indent_package_json(path: Path) -> None:
    """Write a package.json as bun does (two-space indent, no final newline), the form committed
    in reflex.lock/; the JSON itself is left as it is."""
    try:
        text = path.read_text(encoding="utf-8")
        wanted = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (OSError, ValueError):
        return
    if text != wanted:
        path.write_text(wanted, encoding="utf-8")


def guard_frontend_build(build_frontend: Callable[[Path], None], *, rebuild: bool = False, build_only: bool = False) -> Callable[[Path], None]:
    """Reflex's `setup_frontend_prod`, skipped when the compiled sources are those last built."""

    def setup_frontend_prod(root: Path) -> None:
        from reflex.utils import build, prerequisites

        web_dir = prerequisites.get_web_dir()
        build.set_env_json()
        for package_json in (root / "reflex.lock" / "package.json", web_dir / "package.json"):
            indent_package_json(package_json)
        digest = frontend_digest(web_dir)
        stamp = web_dir / "build" / STAMP
        built = (web_dir / "build" / "client" / "index.html").is_file()
        if not rebuild and built and stamp.is_file() and stamp.read_text() == digest:
            print(REUSED, flush=True)
        else:
            build_frontend(root)
            stamp.write_text(digest)
        if build_only:
            raise SystemExit(0)

    return setup_frontend_prod


# Reflex's start-up notices that a newcomer would have to decode (or that give advice for
# another project layout), said in our terms: (a part of the notice, what we say, at what level).
PLAIN_NOTICES = (
    ("uv run reflex run", "Prepared the frontend project in .web/ (a first start, or a new Reflex version).", logging.INFO),
    (
        "of Node.js is out of date",
        "Node.js here is older than the 22 Reflex prefers, so it builds the frontend with bun's own runtime "
        "(`bun --bun`), which works as well; install Node.js 22 to build with Node itself.",
        logging.INFO,
    ),
    ("reflex db migrate", "The database is behind the code's migrations: run `alembic upgrade head`.", logging.ERROR),
    (
        "reflex db makemigrations",
        "The models differ from the migrations in alembic/versions: add one (`alembic revision --autogenerate`, then read it).",
        logging.ERROR,
    ),
)


class PlainNotices(logging.Filter):
    """Rewrites the notices of PLAIN_NOTICES, each said once."""

    def __init__(self) -> None:
        super().__init__()
        self.said: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        notice = next((notice for notice in PLAIN_NOTICES if notice[0] in message), None)
        if notice is None:
            return True
        _, plain, level = notice
        if plain in self.said:
            return False
        self.said.add(plain)
        record.msg, record.args, record.levelno, record.levelname = plain, (), level, logging.getLevelName(level)
        return True


def _use_npm_registry(environ: dict[str, str]) -> None:
    """Tell Reflex the registry npm is configured with, so that on a machine it has not seen it does
    not time requests to a mirror (and report each failure) to choose one."""
    npm = shutil.which("npm")
    if environ.get("NPM_CONFIG_REGISTRY") or npm is None:
        return
    try:
        registry = subprocess.run([npm, "config", "get", "registry"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return
    if registry.startswith(("http://", "https://")):
        environ["NPM_CONFIG_REGISTRY"] = registry


def main(argv: list[str] | None = None) -> None:
    """Run `reflex run --env prod --single-port` on PORT with the guarded frontend build."""
    from linkapp.core.config import settings

    parser = argparse.ArgumentParser(prog="python -m linkapp.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=settings.PORT, help="port for the UI, the API and short links (default: PORT)")
    parser.add_argument("--rebuild", action="store_true", help="build the frontend even if it is unchanged")
    parser.add_argument("--build-only", action="store_true", help="compile and build the frontend if it changed, then exit")
    args, reflex_args = parser.parse_known_args(argv)

    _use_npm_registry(os.environ)
    notices = PlainNotices()
    for name in ("reflex.reflex", "reflex.utils.js_runtimes", "reflex.utils.prerequisites"):
        logging.getLogger(name).addFilter(notices)

    from reflex.reflex import cli
    from reflex.utils import build

    build.setup_frontend_prod = guard_frontend_build(build.setup_frontend_prod, rebuild=args.rebuild, build_only=args.build_only)
    port = str(args.port)
    cli.main(["run", "--env", "prod", "--single-port", "--frontend-port", port, "--backend-port", port, *reflex_args], prog_name="reflex")


if __name__ == "__main__":
    main(sys.argv[1:])
