"""Several server processes on one instance: the metrics they must add up.

With REDIS_URL, `reflex run --env prod` starts several worker processes (2 per core, plus one;
Reflex keeps their state in Redis). Prometheus counts in each process, so a scrape would see
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

from linkapp.core.config import settings

METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


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
