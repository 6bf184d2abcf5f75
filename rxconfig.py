"""Reflex configuration: the database URL and secrets come from linkapp's settings."""

import reflex as rx

from linkapp.core.config import settings

config = rx.Config(
    app_name="linkapp",
    db_url=settings.sync_database_url,
    async_db_url=settings.async_database_url,
    redis_url=settings.REDIS_URL,
    telemetry_enabled=False,
    disable_plugins=[rx.plugins.SitemapPlugin],
    show_built_with_reflex=False,
    # Our API lives under Reflex's backend: allow only the origins we mean to.
    cors_allowed_origins=settings.cors_origins,
)
