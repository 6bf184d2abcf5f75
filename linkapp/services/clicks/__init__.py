"""The click pipeline: from the redirect's queue to stored, enriched events and their rollups.

`recorder` is the bounded queue the redirect hands clicks to and the writer that drains it in
batches (through `stream`, a Redis stream, when REDIS_URL is set), on `writer_thread`'s loop;
`enrich` turns a click into the stored row; `bursts` tells a burst of one visitor apart;
`store` writes a batch and its rollups in one transaction; `spool` keeps what the database
could not take and `rejects` what it refused; `feed` tells open pages clicks were stored;
`maintenance` rebuilds rollups, re-scores bots and purges old clicks.
"""
