"""Security headers and the CSRF check on every state-changing request."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def add_security_headers(headers: MutableHeaders, https: bool) -> None:
    """Also called by the 500 handler, whose response is sent outside every middleware."""
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if https:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


class SecurityHeadersMiddleware:
    def __init__(self, app, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), self.https)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in reader, and on the private pages of anyone.

    A shared cache (a municipal proxy, a library computer's browser) must never keep a page made for one person.
    Static files are the same for everyone and stay cacheable.
    """

    def __init__(self, app, private_routes: frozenset[str]) -> None:
        self.app = app
        self.private_routes = private_routes

    def _private(self, scope) -> bool:
        name = getattr(scope.get("route"), "name", None)
        if name == "static":
            return False
        signed_in = scope.get("state", {}).get("user") is not None or "sid" in scope.get("session", {})
        return signed_in or name in self.private_routes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_no_store(message) -> None:
            if message["type"] == "http.response.start" and self._private(scope):
                headers = MutableHeaders(scope=message)
                headers["Cache-Control"] = "no-store"
                headers.setdefault("Pragma", "no-cache")
            await send(message)

        await self.app(scope, receive, send_no_store)


def ensure_csrf_token(session: dict) -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


class CSRFMiddleware:
    """Refuse (403) an unsafe request without the session's token (form field or X-CSRF-Token).

    The body is read here and replayed to the application, so the check covers every route.
    """

    def __init__(
        self,
        app,
        max_body_bytes: int,
        on_failure: Callable[[Request, int], Response],
        exempt: Callable[[dict], bool] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.on_failure = on_failure
        # A route whose authority is a signed token in its URL, never the session (RFC 8058 one-click unsubscribe,
        # which mail clients POST without any cookie or token of ours): it has nothing for CSRF to protect.
        self.exempt = exempt

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope["session"]
        expected = ensure_csrf_token(session)
        if scope["method"] in SAFE_METHODS or (self.exempt is not None and self.exempt(scope)):
            await self.app(scope, receive, send)
            return
        body, too_large = await _read_body(receive, self.max_body_bytes)
        if too_large:
            await self.on_failure(Request(scope), 413)(scope, receive, send)
            return
        replay = _replayer(body)
        given = Request(scope).headers.get(CSRF_HEADER)
        if not given:
            try:
                form = await Request(scope, replay).form()
                given = form.get(CSRF_FIELD)
                await form.close()
            except Exception:  # malformed body: no token can be read from it
                given = None
        if not (isinstance(given, str) and secrets.compare_digest(given.encode(), expected.encode())):
            await self.on_failure(Request(scope), 403)(scope, receive, send)
            return
        await self.app(scope, _replayer(body), send)


async def _read_body(receive, limit: int) -> tuple[bytes, bool]:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


def _replayer(body: bytes):
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
