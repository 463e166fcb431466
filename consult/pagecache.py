"""Rendered pages kept for readers without an account, until the next state change or the next minute.

A consultation page renders hundreds of comments (about 45 ms of CPU); residents reading it without an account all
see the same HTML. Every state change appends a ledger event, so the ledger's head sequence number says whether
anything may have changed; the consultation's opening and closing times and the current minute cover what depends on
the clock (status, countdown) and bound the age of anything changed without an event. The visitor's own CSRF token is
put into the kept page on the way out.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import wraps
from urllib.parse import urlsplit

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response

from consult import i18n
from consult.web import is_fragment_request

Handler = Callable[[Request], Awaitable[Response]]
TOKEN_PLACEHOLDER = "\x00csrf\x00"
MAX_PAGES = 64  # per process; a consultation page is about 300 kB


class PageCache:
    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
        self.pages: OrderedDict[tuple, tuple[bytes, dict[str, str]]] = OrderedDict()

    def get(self, key: tuple) -> tuple[bytes, dict[str, str]] | None:
        found = self.pages.get(key)
        if found is not None:
            self.pages.move_to_end(key)
        return found

    def put(self, key: tuple, value: tuple[bytes, dict[str, str]]) -> None:
        self.pages[key] = value
        self.pages.move_to_end(key)
        while len(self.pages) > self.size:
            self.pages.popitem(last=False)


def _key(request: Request) -> tuple:
    """What the page depends on: the whole address (scheme and host too), the language, the ledger head, the clock."""
    now = datetime.now(UTC)
    row = request.state.db.execute(
        text("SELECT (SELECT max(seq) FROM ledger_event), opens_at, closes_at FROM consultation WHERE slug = :slug"),
        {"slug": request.path_params.get("slug", "")},
    ).first()
    request.state.db.rollback()  # end the read: no transaction stays open across the handler's awaits
    head, opens_at, closes_at = row if row else (None, None, None)
    # The status changes at the opening and closing instants, the countdown every minute.
    stage = sum(1 for moment in (opens_at, closes_at) if moment is not None and _aware(moment) <= now)
    return (
        request.url.scheme,
        request.url.netloc,
        request.url.path,
        request.url.query,
        is_fragment_request(request),
        i18n.current_locale.get(),
        head,
        stage,
        opens_at,
        closes_at,
        now.replace(second=0, microsecond=0),
    )


def _aware(moment: datetime | str) -> datetime:
    if isinstance(moment, str):  # SQLite returns the stored text to a raw query
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def canonical(request: Request) -> bool:
    """Asked for at the site's own address: a page built for a forged Host or X-Forwarded-Proto is never kept."""
    base = urlsplit(request.app.state.settings.base_url)
    return (request.url.scheme, request.url.netloc) == (base.scheme, base.netloc)


def cacheable(request: Request) -> bool:
    session = request.scope.get("session", {})
    return request.method == "GET" and request.state.user is None and "flash" not in session and canonical(request)


def cached_for_readers(handler: Handler) -> Handler:
    """Serve the handler's page from the cache to visitors without an account."""

    @wraps(handler)
    async def wrapper(request: Request) -> Response:
        if not cacheable(request):
            return await handler(request)
        cache: PageCache = request.app.state.page_cache
        token = request.scope["session"].get("csrf", "")
        key = _key(request)
        found = cache.get(key)
        if found is None:
            response = await handler(request)
            if response.status_code != 200 or not token or not hasattr(response, "body"):
                return response
            kept = bytes(response.body).replace(token.encode(), TOKEN_PLACEHOLDER.encode())
            headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "set-cookie")}
            cache.put(key, (kept, headers))
            return response
        body, headers = found
        return Response(body.replace(TOKEN_PLACEHOLDER.encode(), token.encode()), headers=headers)

    return wrapper
