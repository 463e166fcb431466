"""Migrations and models agree, and the migrations go down as well as up."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from consult.cli import alembic_config
from consult.db import make_engine
from consult.search.actions import include_object
from tests.conftest import PG_URL


@pytest.fixture
def empty_database_url(tmp_path):
    """An empty database: a new SQLite file, or a new schema on the test PostgreSQL server."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": include_object}
            context = MigrationContext.configure(conn, opts=opts)
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_create_exactly_the_models(empty_database_url):
    command.upgrade(alembic_config(empty_database_url), "head")
    assert _diff(empty_database_url) == []
    assert {t.name for t in SQLModel.metadata.sorted_tables} <= _tables(empty_database_url)


def test_migrations_downgrade_to_nothing_and_up_again(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert _tables(empty_database_url) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert _diff(empty_database_url) == []


def test_a_model_change_without_migration_is_detected(empty_database_url):
    """The check above can fail: a column the migrations lack shows up as a difference."""
    from sqlalchemy import Column, MetaData, String, Table

    command.upgrade(alembic_config(empty_database_url), "head")
    extended = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(extended)
    Table("user", extended, Column("nickname", String(40)), extend_existing=True)
    engine = make_engine(empty_database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), extended)
    engine.dispose()
    assert any(op[0] == "add_column" and op[3].name == "nickname" for op in diff)
