"""Rendered pages kept until the next state change or the next minute: one copy for every reader without an account,
and one per signed-in reader.

A consultation page renders hundreds of comments (about 45 ms of CPU); residents reading it without an account all
see the same HTML. Every state change appends a ledger event, so the ledger's head sequence number says whether
anything may have changed; the consultation's opening and closing times and the current minute cover what depends on
the clock (status, countdown) and bound the age of anything changed without an event. The visitor's own CSRF token is
put into the kept page on the way out.

A signed-in reader's page carries their own buttons (reply, edit, hide, the organisations they speak for), so it is
kept for them alone: the key holds who they are and their roles as loaded from the database on this very request
(`AuthMiddleware`), so a role given or taken away is a different key at once, whether or not it reached the ledger.
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
Kept = tuple[tuple[bytes, ...], dict[str, str]]  # the page cut where the reader's CSRF token goes, and its headers
MAX_PAGES = 64  # per process, for readers without an account; a consultation page is about 300 kB
MAX_MEMBER_BYTES = 32 * 1024 * 1024  # per process, for signed-in readers' own pages: about 100 consultation pages


class PageCache:
    """Least recently used pages; readers' pages bounded by count, signed-in readers' (key[-1] set) by bytes,
    so many members reading cannot push out the one copy every resident is served."""

    def __init__(self, size: int = MAX_PAGES, member_bytes: int = MAX_MEMBER_BYTES) -> None:
        self.size = size
        self.member_bytes = member_bytes
        self.pages: OrderedDict[tuple, Kept] = OrderedDict()

    def get(self, key: tuple) -> Kept | None:
        found = self.pages.get(key)
        if found is not None:
            self.pages.move_to_end(key)
        return found

    def put(self, key: tuple, value: Kept) -> None:
        self.pages[key] = value
        self.pages.move_to_end(key)
        readers = [k for k in self.pages if not k[-1]]  # oldest first
        for old in readers[: max(len(readers) - self.size, 0)]:
            del self.pages[old]
        members = [k for k in self.pages if k[-1]]
        total = sum(_size(self.pages[k]) for k in members)
        for old in members:
            if total <= self.member_bytes:
                break
            total -= _size(self.pages.pop(old))


def _size(kept: Kept) -> int:
    return sum(len(piece) for piece in kept[0])


def viewer(request: Request) -> tuple:
    """Who the page is made for, as far as it shows: nobody, or the signed-in person with their roles as loaded
    for this request (a role taken away since the page was kept is another key: no stale button)."""
    principal = request.state.user
    if principal is None:
        return ()
    user = principal.user
    roles = tuple(sorted(principal.roles.items()))
    return (principal.id, user.display_name, user.is_admin, user.confirmed_at is not None, roles)


def _key(request: Request) -> tuple:
    """What the page depends on: the whole address (scheme and host too), the language, the ledger head, the clock."""
    now = datetime.now(UTC)
    row = request.state.db.execute(
        text("SELECT (SELECT max(seq) FROM ledger_event), opens_at, closes_at FROM consultation WHERE slug = :slug"),
        {"slug": request.path_params.get("slug", "")},
    ).first()
    # End the read: no transaction stays open across the handler's awaits. A commit, not a rollback: a rollback would
    # expire the signed-in user loaded for this request, to be loaded again (or fail once the session is closed).
    request.state.db.commit()
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
        viewer(request),  # last: PageCache tells readers' pages from members' by it
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
    return request.method == "GET" and "flash" not in session and canonical(request)


def cached_for_readers(handler: Handler) -> Handler:
    """Serve the handler's page from the cache: one copy for visitors without an account, one per signed-in reader."""

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
            # Kept cut where the reader's token goes: joining the pieces copies the page once, where a replace would
            # search all of it (about 0.2 ms for a 300 kB page) on every hit.
            kept = tuple(bytes(response.body).split(token.encode()))
            headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "set-cookie")}
            cache.put(key, (kept, headers))
            return response
        pieces, headers = found
        return Response(token.encode().join(pieces), headers=headers)

    return wrapper
