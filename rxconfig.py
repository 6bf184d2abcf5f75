"""Reflex configuration: the database URL, Redis, CORS and the public address come from linkapp's settings."""

import reflex as rx

from linkapp.core import workers
from linkapp.core.config import settings

# Before anything imports prometheus_client: with Redis the workers add their metrics up.
workers.share_metrics()
# Before Reflex starts granian, which reads GRANIAN_WORKERS: one worker per core by default.
workers.default_workers()

config = rx.Config(
    app_name="linkapp",
    db_url=settings.sync_database_url,
    async_db_url=settings.async_database_url,
    redis_url=settings.REDIS_URL,
    # Where the pages open their websocket: HOST_URL, the public address, once it is set (behind a
    # load balancer it is not this process's port, which Reflex's default would bake in).
    **({"api_url": settings.host_origin} if "HOST_URL" in settings.model_fields_set else {}),
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="violet", gray_color="slate", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
    # Our API lives under Reflex's backend: allow only the origins we mean to.
    cors_allowed_origins=settings.cors_origins,
)
