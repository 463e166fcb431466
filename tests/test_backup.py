"""`python -m consult backup FILE` and `restore FILE`: after the round trip `verify` passes and every page is the same.

SQLite through the online backup API; PostgreSQL through pg_dump and pg_restore, restored into a database made for
the test (with the schema of this test process, when pytest-xdist gives it one).
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from consult.answers.actions import AnswerInput, answer_contribution
from consult.app import create_app
from consult.cli import main as cli
from consult.db import make_engine
from consult.jobs import run_due_jobs
from consult.records.actions import RecordInput, publish_record
from tests.conftest import Client
from tests.factories import (
    close_consultation,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    principal,
)


@pytest.fixture
def empty_target(tmp_path, database_url):
    """The URL of a database that does not exist yet: a new SQLite file, or a new PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"consult_restore_{uuid.uuid4().hex[:8]}"
    admin = make_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.engine.dispose()


@pytest.fixture
def council(db, settings):
    """An open consultation with a thread of comments, and a closed one with its record published and its PDF."""
    official, municipality = make_official(db)
    member = make_user(db, email="ewa@example.pl", display_name="Ewa Nowak")
    ngo = make_organisation(db, admin=member, name="Stowarzyszenie Bobry", krs="0000654321", verified=True)
    open_one = make_consultation(db, official=official, municipality=municipality)
    first = make_comment(db, open_one, author=member, organisation=ngo, body="Prosimy o dłuższy termin.")
    make_comment(db, open_one, author=member, organisation=ngo, parent=first, body="I o spotkanie.")
    closed = make_consultation(db, official=official, municipality=municipality)
    comment = make_comment(db, closed, author=member, organisation=ngo, body="Całość do poprawy.")
    close_consultation(db, closed)
    answer = AnswerInput(position="explained", justification="Wyjaśniamy w programie.")
    answer_contribution(db, principal(db, official), closed, ("comment", comment.id), answer)
    publish_record(db, principal(db, official), closed, RecordInput(conclusion="Projekt trafia do rady."))
    assert run_due_jobs(db, settings) == 1  # the record's PDF, as the worker renders it
    return open_one, closed


def pages(open_slug: str, closed_slug: str) -> list[str]:
    record = f"/consultations/{closed_slug}/record"
    return ["/", "/consultations", f"/consultations/{open_slug}", record, f"{record}.json", f"{record}.pdf"]


def test_backup_and_restore_keep_the_ledger_and_every_page_byte_for_byte(
    client, settings, council, empty_target, tmp_path, monkeypatch
):
    open_one, closed = council
    file = tmp_path / "consult.backup"
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli(["backup", str(file)]) == 0
    monkeypatch.setenv("DATABASE_URL", empty_target)
    assert cli(["restore", str(file)]) == 0
    assert cli(["verify"]) == 0
    restored = create_app(settings.model_copy(update={"database_url": empty_target}))
    client.get("/accessibility")  # the reader's session (its CSRF token is in the pages): the same on both
    with Client(restored, cookies=dict(client.cookies)) as reader:
        for path in pages(open_one.slug, closed.slug):
            before, after = client.get(path), reader.get(path)
            assert before.status_code == after.status_code == 200, path
            assert after.content == before.content, path
    restored.state.engine.dispose()


def test_restore_refuses_a_database_with_data_unless_forced(settings, council, tmp_path, monkeypatch, capsys):
    file = tmp_path / "consult.backup"
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli(["backup", str(file)]) == 0
    assert cli(["restore", str(file)]) == 1
    assert "--force" in capsys.readouterr().err
    assert cli(["restore", "--force", str(file)]) == 0
    assert cli(["verify"]) == 0


def test_restore_refuses_a_file_that_is_not_a_backup(empty_target, tmp_path, monkeypatch, capsys):
    file = tmp_path / "notes.txt"
    file.write_text("lista zakupów", encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", empty_target)
    assert cli(["restore", str(file)]) == 1
    assert "not" in capsys.readouterr().err
