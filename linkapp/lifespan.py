"""What runs for the whole life of the server: start-up's objects kept from the collector, and
the click writer, flushed on shutdown."""

from __future__ import annotations

import contextlib
import gc
import logging

from linkapp import db as database
from linkapp.core import metrics
from linkapp.services.clicks.recorder import recorder
from linkapp.services.clicks.store_process import store_process
from linkapp.services.clicks.writer_thread import store_thread

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def start_up_objects_frozen():
    """Keep the garbage collector off what start-up built. The app's pages and components are a
    quarter of a million objects that live as long as the process: a full collection walked them
    all (over 100 ms, the redirects' worst pause under load). Frozen, the collector leaves them alone."""
    gc.collect()
    gc.freeze()
    yield


@contextlib.asynccontextmanager
async def click_writer():
    """Start the click writer (which also replays the spool and, with Redis, reads the stream);
    on shutdown store what is left, or spool it if the database is down (bounded in time)."""
    recorder.start()
    try:
        yield
    finally:
        try:
            await recorder.stop()
        finally:
            await store_process.close()
            await store_thread.close()
            await database.dispose_current()
            metrics.process_ended()
        log.info("click writer stopped; %d clicks written", recorder.written)
