"""The click pipeline: from the redirect's queue to stored, enriched events and their rollups.

`recorder` takes the redirect's clicks and starts and stops the rest: `local_queue`, the bounded
in-process queue; `shared_queue`, this process's use of `stream` (a Redis stream, when REDIS_URL
is set); and `writer`, which stores batches, retries and spills, on `writer_thread`'s loop;
`enrich` turns a click into the stored row; `bursts` tells a burst of one visitor apart;
`store` writes a batch and its rollups in one transaction; `spool` keeps what the database
could not take and `rejects` what it refused; `feed` tells open pages clicks were stored;
`maintenance` rebuilds rollups, re-scores bots and purges old clicks.
"""
