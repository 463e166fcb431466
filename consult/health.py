"""`GET /healthz`: 200 when the database answers and its schema is at the latest migration, 503 otherwise.

A load balancer probes each web process by its own address, not by the site's name, so the probe is answered here,
before the host check, the session and the CSRF token: a small JSON body with no links, no cookie, never cached.
"""

from __future__ import annotations

import json

import anyio.to_thread
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Receive, Scope, Send

HEALTH_PATH = "/healthz"
_heads: tuple[str, ...] | None = None


def latest_revisions() -> tuple[str, ...]:
    """The heads of the migration scripts shipped with this code (read once per process)."""
    global _heads
    if _heads is None:
        from consult.cli import alembic_config

        _heads = tuple(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))
    return _heads


def check(engine: Engine) -> dict[str, str]:
    """{"database": "ok" | "unreachable", "schema": "latest" | "behind" | "unknown"}."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    except SQLAlchemyError:
        return {"database": "unreachable", "schema": "unknown"}
    return {"database": "ok", "schema": "latest" if current == latest_revisions() else "behind"}


class HealthCheckMiddleware:
    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != HEALTH_PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _answer(send, 405, {"status": "method not allowed"}, scope["method"] == "HEAD")
            return
        # In a thread: a database that does not answer must not hold up the other requests of this process.
        found = await anyio.to_thread.run_sync(check, self.engine)
        healthy = found == {"database": "ok", "schema": "latest"}
        body = {"status": "ok" if healthy else "fail", **found}
        await _answer(send, 200 if healthy else 503, body, scope["method"] == "HEAD")


async def _answer(send: Send, status: int, body: dict, head: bool) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
    ]
    if status == 405:
        headers.append((b"allow", b"GET, HEAD"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else payload})
