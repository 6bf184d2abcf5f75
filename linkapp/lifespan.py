"""What runs for the whole life of the server: the click writer, flushed on shutdown."""

from __future__ import annotations

import contextlib
import logging

from linkapp import db as database
from linkapp.services.clicks import recorder

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def click_writer():
    recorder.start()
    try:
        yield
    finally:
        await recorder.stop()
        await database.get_engine().dispose()
        log.info("click writer stopped; %d clicks written", recorder.written)
