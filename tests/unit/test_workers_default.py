"""How many server processes `reflex run --env prod` starts with Redis: one per usable core, unless the operator chose."""

from __future__ import annotations

import os

import pytest

from linkapp.core import workers
from linkapp.core.config import settings


@pytest.fixture
def with_redis(monkeypatch):
    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:6379/0")


def test_default_workers_one_per_core_with_redis(with_redis):
    environ: dict[str, str] = {}
    workers.default_workers(environ, cores=3)
    assert environ == {"GRANIAN_WORKERS": "3"}


def test_default_workers_counts_the_cores_this_process_may_use(with_redis):
    environ: dict[str, str] = {}
    workers.default_workers(environ)
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert environ["GRANIAN_WORKERS"] == str(min(usable, workers.MAX_WORKERS))


def test_default_workers_capped_like_reflexs_own_default(with_redis):
    environ: dict[str, str] = {}
    workers.default_workers(environ, cores=64)
    assert environ["GRANIAN_WORKERS"] == "8"


def test_default_workers_operators_choice_wins(with_redis):
    environ = {"GRANIAN_WORKERS": "5"}
    workers.default_workers(environ, cores=2)
    assert environ == {"GRANIAN_WORKERS": "5"}


def test_default_workers_empty_setting_gets_the_default(with_redis):
    environ = {"GRANIAN_WORKERS": ""}  # Reflex would fail on int("")
    workers.default_workers(environ, cores=2)
    assert environ == {"GRANIAN_WORKERS": "2"}


def test_default_workers_nothing_set_without_redis(monkeypatch):
    monkeypatch.setattr(settings, "REDIS_URL", None)
    environ: dict[str, str] = {}
    workers.default_workers(environ, cores=4)
    assert environ == {}  # Reflex runs one worker: its state is in that process's memory


def test_usable_cores_falls_back_to_cpu_count(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert workers.usable_cores() == 6
