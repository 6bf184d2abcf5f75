"""The production start (`python -m linkapp.serve`): the frontend is rebuilt only when what the
build reads changed, reflex.lock/package.json keeps its committed form, and Reflex's notices
are said in plain words."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from reflex.utils import build, prerequisites

from linkapp import serve

ROOT = Path(__file__).resolve().parents[2]
ONE_LINE = '{"name": "reflex", "type": "module", "dependencies": {"react": "19.3.1"}, "overrides": {}}'


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project root with a compiled `.web` (no build yet), as Reflex leaves it after a compile."""
    web = tmp_path / ".web"
    (web / "app" / "routes").mkdir(parents=True)
    (web / "app" / "routes" / "index.jsx").write_text("export default () => 'home'")
    (web / "env.json").write_text('{"EVENT": "ws://127.0.0.1:8000/_event"}')
    (web / "package.json").write_text(ONE_LINE)
    (web / "node_modules" / "react").mkdir(parents=True)
    (web / "node_modules" / "react" / "index.js").write_text("module.exports = 1")
    (web / "reflex.json").write_text('{"last_reflex_run_datetime": "1"}')
    (tmp_path / "reflex.lock").mkdir()
    (tmp_path / "reflex.lock" / "package.json").write_text(ONE_LINE)
    monkeypatch.setattr(prerequisites, "get_web_dir", lambda: web)
    monkeypatch.setattr(build, "set_env_json", lambda: None)
    return tmp_path


class FakeBuild:
    """Stands in for Reflex's `setup_frontend_prod`: writes the build output and counts calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, root: Path) -> None:
        self.calls += 1
        client = root / ".web" / "build" / "client"
        client.mkdir(parents=True, exist_ok=True)
        (client / "index.html").write_text(f"build {self.calls}")


def test_start_reuses_build_until_something_the_build_reads_changes(project, capsys):
    fake = FakeBuild()
    start = serve.guard_frontend_build(fake)
    web = project / ".web"

    start(project)
    start(project)
    assert fake.calls == 1
    assert serve.REUSED in capsys.readouterr().out

    # Reflex's bookkeeping and the installed packages are not what the build reads.
    (web / "reflex.json").write_text('{"last_reflex_run_datetime": "2"}')
    (web / "node_modules" / "react" / "index.js").write_text("module.exports = 2")
    start(project)
    assert fake.calls == 1

    (web / "app" / "routes" / "index.jsx").write_text("export default () => 'changed'")
    start(project)
    assert fake.calls == 2

    # A settings change that reaches the pages, such as HOST_URL in env.json.
    (web / "env.json").write_text('{"EVENT": "wss://go.example.com/_event"}')
    start(project)
    assert fake.calls == 3

    (web / "build" / "client" / "index.html").unlink()
    start(project)
    assert fake.calls == 4


def test_start_rebuilds_when_asked_and_build_only_stops_after(project):
    fake = FakeBuild()
    serve.guard_frontend_build(fake)(project)
    serve.guard_frontend_build(fake, rebuild=True)(project)
    assert fake.calls == 2
    with pytest.raises(SystemExit) as stopped:
        serve.guard_frontend_build(fake, build_only=True)(project)
    assert stopped.value.code == 0
    assert fake.calls == 2


def test_start_keeps_package_json_in_its_committed_form(project):
    """Reflex renders package.json on one line, bun indents it: the start writes bun's form, so
    the tracked copy does not flip with every fresh `.web`."""
    serve.guard_frontend_build(FakeBuild())(project)
    for path in (project / "reflex.lock" / "package.json", project / ".web" / "package.json"):
        text = path.read_text()
        assert json.loads(text) == json.loads(ONE_LINE)
        assert text == json.dumps(json.loads(ONE_LINE), indent=2)


def test_committed_package_json_is_already_in_the_form_the_start_writes(tmp_path):
    committed = ROOT / "reflex.lock" / "package.json"
    copy = tmp_path / "package.json"
    copy.write_bytes(committed.read_bytes())
    serve.indent_package_json(copy)
    assert copy.read_bytes() == committed.read_bytes()


def test_reflex_notices_are_said_plainly_and_once():
    notices = serve.PlainNotices()
    logger = logging.getLogger("reflex.utils.js_runtimes")

    def record(message: str, level: int = logging.WARNING) -> logging.LogRecord:
        return logger.makeRecord(logger.name, level, __file__, 1, message, (), None)

    node = record("Your version (20.20.2) of Node.js is out of date. Upgrade to 22.22.0 or higher.")
    assert notices.filter(node)
    assert node.levelno == logging.INFO and "bun's own runtime" in node.getMessage()
    assert not notices.filter(record("Your version (20.20.2) of Node.js is out of date. Upgrade to 22.22.0 or higher."))

    init = record("Initialized linkapp. Run `uv run reflex run` to start the app.", 25)
    assert notices.filter(init)
    assert "uv run" not in init.getMessage()

    behind = record("Target database is not up to date. Run [bold]reflex db migrate[/bold] to update database.", logging.ERROR)
    assert notices.filter(behind)
    assert behind.levelno == logging.ERROR and "alembic upgrade head" in behind.getMessage()

    other = record("Compiling the app.")
    assert notices.filter(other) and other.getMessage() == "Compiling the app."
