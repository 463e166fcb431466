"""Engine, one session per request, SQLite pragmas."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

writing: ContextVar[bool] = ContextVar("writing", default=False)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN (SQLAlchemy's documented recipe for pysqlite).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
        # SQLite's lower() folds ASCII only; searches must find "Łódź" when "łódź" is typed, as on PostgreSQL.
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        # A reading request begins deferred: readers never block. A request that may write (POST) takes the write
        # lock at its first statement: a deferred transaction that reads and then writes cannot wait for another
        # writer (SQLite refuses the upgrade at once, "database is locked"), an immediate one waits busy_timeout.
        # A request must not hold a transaction across an `await` (read the form first).
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing.get() else "BEGIN")

    return engine


def new_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    session = new_session(engine)
    try:
        yield session
    finally:
        session.close()


class DBSessionMiddleware:
    """Opens one session per HTTP request as request.state.db, and closes it afterwards."""

    def __init__(self, app, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = new_session(self.engine)
        scope.setdefault("state", {})["db"] = session
        token = writing.set(scope["method"] not in SAFE_METHODS)
        try:
            await self.app(scope, receive, send)
        finally:
            session.close()
            writing.reset(token)
