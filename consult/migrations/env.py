"""Alembic environment: the URL from the config (set by the CLI) or DATABASE_URL."""

import os

from alembic import context
from sqlmodel import SQLModel

import consult.models  # noqa: F401  (registers the tables)
from consult.db import make_engine
from consult.search.actions import include_object

target_metadata = SQLModel.metadata
DB_URL = context.config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "sqlite:///consult.db")


def _options(url: str) -> dict:
    return {
        "target_metadata": target_metadata,
        "render_as_batch": url.startswith("sqlite"),
        "compare_type": True,
        "include_object": include_object,
    }


def run_migrations_offline() -> None:
    context.configure(url=DB_URL, literal_binds=True, dialect_opts={"paramstyle": "named"}, **_options(DB_URL))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, **_options(DB_URL))
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(DB_URL)
    try:
        with engine.connect() as connection:
            if DB_URL.startswith("sqlite"):
                # Batch migrations copy tables; with foreign keys on, dropping the old copy would cascade.
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            context.configure(connection=connection, **_options(DB_URL))
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
