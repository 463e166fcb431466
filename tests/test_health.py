"""`GET /healthz`: what a load balancer asks each web process, by its own address, every few seconds."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from sqlalchemy import text

from consult.app import create_app
from consult.cli import alembic_config
from consult.db import make_engine
from tests.conftest import PG_URL, Client


@pytest.fixture
def migrated_url(tmp_path):
    """A database at the latest migration: a new SQLite file, or a new schema on the test PostgreSQL server."""
    if not PG_URL:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
        command.upgrade(alembic_config(url), "head")
        yield url
        return
    schema = f"health_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    command.upgrade(alembic_config(url), "head")
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def probe(settings, url: str, *paths: str, host: str = "testserver"):
    """The answers to GET /healthz and then to each of `paths`, asked for with this Host."""
    app = create_app(settings.model_copy(update={"database_url": url}))
    try:
        with Client(app, base_url=f"http://{host}") as client:
            return [client.get(path) for path in ("/healthz", *paths)]
    finally:
        app.state.engine.dispose()


def test_healthz_answers_ok_for_a_database_at_the_latest_migration(settings, migrated_url):
    [health] = probe(settings, migrated_url)
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "schema": "latest"}
    assert "set-cookie" not in health.headers and health.headers["cache-control"] == "no-store"


def test_healthz_answers_a_probe_by_address_where_pages_refuse_the_host(settings, migrated_url):
    health, home = probe(settings, migrated_url, "/", host="10.0.0.7:8000")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert home.status_code == 400  # the pages still answer for BASE_URL's host only


def test_healthz_fails_while_a_migration_is_pending(settings, migrated_url):
    command.downgrade(alembic_config(migrated_url), "-1")
    [health] = probe(settings, migrated_url)
    assert health.status_code == 503
    assert health.json() == {"status": "fail", "database": "ok", "schema": "behind"}


def test_healthz_fails_when_the_database_does_not_answer(settings, tmp_path):
    [health] = probe(settings, f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}")
    assert health.status_code == 503
    assert health.json() == {"status": "fail", "database": "unreachable", "schema": "unknown"}


def test_healthz_answers_head_without_a_body_and_refuses_a_post(settings, migrated_url):
    app = create_app(settings.model_copy(update={"database_url": migrated_url}))
    with Client(app) as client:
        head, post = client.head("/healthz"), client.post("/healthz")
    app.state.engine.dispose()
    assert head.status_code == 200 and head.content == b""
    assert post.status_code == 405
