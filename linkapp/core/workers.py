"""Several server processes on one instance: how many, and the metrics they must add up.

With REDIS_URL, `reflex run --env prod` starts several worker processes (Reflex keeps their
state in Redis): one per usable core unless the operator sets GRANIAN_WORKERS (`default_workers`,
which rxconfig.py calls). Prometheus counts in each process, so a scrape would see
whichever worker answered. The first process, before it starts the workers, gives them a
directory of their own in which prometheus_client's multiprocess mode adds them up (see
services/metrics.render). It must run before prometheus_client is imported: rxconfig.py calls it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import MutableMapping

from linkapp.core.config import settings

METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
WORKERS_ENV = "GRANIAN_WORKERS"  # read by Reflex's run_granian_backend_prod
MAX_WORKERS = 8  # the cap Reflex puts on its own default


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity: a container's cpuset, taskset), else all."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no sched_getaffinity on macOS and Windows
        return os.cpu_count() or 1


def default_workers(environ: MutableMapping[str, str] | None = None, *, cores: int | None = None) -> None:
    """With Redis (several workers), one worker per usable core, at most MAX_WORKERS, unless the
    operator set GRANIAN_WORKERS. Reflex's own default, 2 per core plus one, has granian warn at
    every start that there are more workers than cores. Without Redis Reflex runs one worker (its
    state lives in that process's memory): nothing to set.

    Args:
        environ: Where Reflex reads GRANIAN_WORKERS from; os.environ by default.
        cores: The usable cores; `usable_cores()` by default.
    """
    environ = os.environ if environ is None else environ
    if not settings.REDIS_URL or environ.get(WORKERS_ENV, "").strip():
        return
    environ[WORKERS_ENV] = str(min(cores or usable_cores(), MAX_WORKERS))


def share_metrics() -> None:
    """With Redis (several workers), point every process started from here at one fresh
    metrics directory, removed when this process exits."""
    if not settings.REDIS_URL or os.environ.get(METRICS_DIR_ENV) or "prometheus_client" in sys.modules:
        return  # one worker; or set already (a worker, or the operator); or too late for this process
    path = tempfile.mkdtemp(prefix="linkapp-metrics-")
    os.environ[METRICS_DIR_ENV] = path
    atexit.register(_remove, path, os.getpid())


def _remove(path: str, owner: int) -> None:
    if os.getpid() == owner:  # a forked worker inherits this hook: only the owner cleans up
        shutil.rmtree(path, ignore_errors=True)
