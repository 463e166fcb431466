"""Guards at the edge of the application: bounded ids in paths, HEAD answered as GET, the hosts the site answers for.

Each closes a class of failure for every route at once, so that a new route cannot forget it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from sqlalchemy.exc import DataError
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("consult")

MAX_ID = 2**63 - 1  # the largest value of a 64-bit integer column (SQLite, PostgreSQL bigint)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]", "testserver")


class IdConvertor(Convertor[int]):
    """`{name:id}`: a database id in a path, at most 18 digits, so that it fits every integer column.

    A longer number does not match the route at all: the reader gets the 404 page, the database never sees it.
    """

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        value = int(value)
        assert 0 <= value <= MAX_ID, "an id is a non-negative 64-bit integer"
        return str(value)


def register_convertors() -> None:
    """Called once, when the package is imported: before any module builds its routes."""
    register_url_convertor("id", IdConvertor())


def allowed_hosts(base_url: str) -> list[str]:
    """The host of BASE_URL, and the loopback names a health check or a test client uses."""
    host = (urlsplit(base_url).hostname or "").lower()
    return [h for h in (host, *LOOPBACK_HOSTS) if h]


class HeadAsGetMiddleware:
    """HEAD runs the GET handler and sends its headers only.

    A handler that serves GET and POST tells them apart by `request.method == "GET"`; a HEAD must never reach the
    POST branch, where it would read a form that was never sent (and pass no CSRF check, HEAD being safe).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False

        async def send_headers_only(message: Message) -> None:
            nonlocal ended
            if message["type"] != "http.response.body":
                await send(message)
            elif not ended:
                ended = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class RefuseOutOfRangeMiddleware:
    """Input no column can hold, wherever a handler read it from (a query string, a header): the 400 page, not a 500.

    SQLite refuses an integer beyond 64 bits with OverflowError, PostgreSQL a NUL character or a number out of a
    column's range with DataError; either way the request's transaction is never committed.
    """

    def __init__(self, app: ASGIApp, on_failure: Callable[[Request, int], Response]) -> None:
        self.app = app
        self.on_failure = on_failure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except (OverflowError, DataError) as exc:
            if started:
                raise
            log.warning("input out of range: %s %s: %s", scope["method"], scope["path"], exc)
            scope["state"]["db"].rollback()
            await self.on_failure(Request(scope), 400)(scope, receive, send)
