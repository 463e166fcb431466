"""A fresh database per test (SQLite file, or PostgreSQL through CONSULT_TEST_DATABASE_URL), a real SMTP server."""

from __future__ import annotations

import email
import os
import re
import socket
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlmodel import Session, SQLModel
from starlette.testclient import TestClient

from consult import models  # noqa: F401  (registers the tables)
from consult.app import create_app
from consult.db import make_engine
from consult.settings import Settings

PG_URL = os.environ.get("CONSULT_TEST_DATABASE_URL", "")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRF-Token": "([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """What the test SMTP server received, newest last."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def last_to(self, address: str) -> EmailMessage:
        found = [m for m in self.messages if m["To"] == address]
        assert found, f"no mail to {address}; got {[m['To'] for m in self.messages]}"
        return found[-1]

    def link_in(self, message: EmailMessage) -> str:
        match = re.search(r"https?://\S+", message.get_content())
        assert match, "no link in the message"
        return match.group(0)


@pytest.fixture(scope="session")
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    _, box = smtp_server
    box.messages.clear()
    return box


def worker_schema() -> str | None:
    """This test process's own PostgreSQL schema when pytest-xdist runs several: one per worker and per run, so
    that two runs on one server at once (two engineers, or CI beside a developer) never share tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8]
    return f"consult_test_{run}_{worker}" if worker else None


def worker_database_url(url: str) -> str:
    """The PostgreSQL URL of this test process: its own schema when pytest-xdist runs several processes at once."""
    schema = worker_schema()
    if schema is None:
        return url
    admin = make_engine(url)
    with admin.begin() as conn:  # unreachable in CI: this fails the run, never skips
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    admin.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def pg_url() -> str:
    return worker_database_url(PG_URL) if PG_URL else ""


@pytest.fixture(scope="session")
def pg_engine(pg_url):
    """One PostgreSQL schema for the session (one per worker); each test starts from empty tables."""
    if not pg_url:
        yield None
        return
    engine = make_engine(pg_url)
    with engine.connect() as conn:  # unreachable in CI: this fails the run, never skips
        conn.execute(text("SELECT 1"))
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()
    if schema := worker_schema():
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path, pg_engine, pg_url) -> str:
    if pg_engine is not None:
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with pg_engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return pg_url
    url = f"sqlite:///{tmp_path / 'consult-test.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def settings(database_url, smtp_server) -> Settings:
    controller, _ = smtp_server
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key="test-secret-key",
        base_url="http://testserver",
        smtp_url=f"smtp://{controller.hostname}:{controller.port}",
    )


@pytest.fixture
def app(settings):
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def db(app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        yield session


class Client(TestClient):
    """The test client with the CSRF token of its own session filled in on every form post."""

    def csrf_token(self) -> str:
        match = CSRF_RE.search(self.get("/accessibility").text)
        assert match, "no CSRF token on the page"
        return match.group(1) or match.group(2)

    def submit(self, url: str, data: dict | None = None, **kwargs):
        """POST a form the way a browser does, with the session's CSRF token."""
        return self.post(url, data={"csrf_token": self.csrf_token(), **(data or {})}, **kwargs)

    def login(self, email: str, password: str = "correct-horse-battery"):
        response = self.submit("/login", {"email": email, "password": password}, follow_redirects=False)
        assert response.status_code == 303, response.text
        return response


@pytest.fixture
def client(app, mailbox) -> Client:
    with Client(app, base_url="http://testserver", follow_redirects=True) as c:
        yield c


@pytest.fixture
def other_client(app) -> Client:
    """A second browser: another person at the same time."""
    with Client(app, base_url="http://testserver", follow_redirects=True) as c:
        yield c
