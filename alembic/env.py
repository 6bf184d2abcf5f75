"""Alembic environment: the schema is SQLModel.metadata, the URL comes from linkapp's settings."""

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import linkapp.models  # noqa: F401  (registers every table)
from linkapp.core.config import normalize_database_url, settings

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    # A URL handed over programmatically (tests) wins over the settings.
    return normalize_database_url(config.attributes.get("url") or settings.sync_database_url)


def _configure(*, is_sqlite: bool, **kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,  # SQLite cannot ALTER most things in place
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(is_sqlite=_url().startswith("sqlite"), url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(is_sqlite=connection.dialect.name == "sqlite", connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(is_sqlite=connection.dialect.name == "sqlite", connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
