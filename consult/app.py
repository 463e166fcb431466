"""create_app(settings) -> Starlette: mounts, middleware, error pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from consult.accounts.views import routes as account_routes
from consult.advice.views import routes as advice_routes
from consult.announcements.views import routes as announcements_routes
from consult.answers.views import routes as answer_routes
from consult.bulletin.views import routes as bulletin_routes
from consult.comments.permalink import routes as permalink_routes
from consult.comments.views import routes as comment_routes
from consult.commitments.views import routes as commitments_routes
from consult.consultations.change_views import routes as change_routes
from consult.consultations.version_views import routes as version_routes
from consult.consultations.views import routes as consultation_routes
from consult.context import AuthMiddleware, LocaleMiddleware
from consult.cosign.views import routes as cosign_routes
from consult.db import DBSessionMiddleware, make_engine
from consult.desk.views import routes as desk_routes
from consult.entries.views import routes as entry_routes
from consult.feeds.views import routes as feed_routes
from consult.forum.views import routes as forum_routes
from consult.groups.views import routes as group_routes
from consult.guards import HeadAsGetMiddleware, RefuseOutOfRangeMiddleware, allowed_hosts
from consult.health import HEALTH_PATH, HealthCheckMiddleware
from consult.knowledge.views import routes as knowledge_routes
from consult.logs import REQUEST_ID_HEADER, RequestLogMiddleware, configure_logging
from consult.me.views import routes as me_routes
from consult.meetings.views import routes as meeting_routes
from consult.municipalities.views import routes as municipality_routes
from consult.networks.views import routes as network_routes
from consult.notifications.dispatch import remember_settings
from consult.notifications.views import one_click_unsubscribe
from consult.notifications.views import routes as notifications_routes
from consult.opinions.views import routes as opinion_routes
from consult.organisations.views import routes as organisation_routes
from consult.outbox.views import routes as outbox_routes
from consult.pagecache import PageCache
from consult.pages.views import routes as page_routes
from consult.proposals.views import routes as proposal_routes
from consult.receipts.views import routes as receipt_routes
from consult.records.views import routes as record_routes
from consult.reports.views import routes as reports_routes
from consult.resources.views import routes as resource_routes
from consult.search.views import routes as search_routes
from consult.security import CSRFMiddleware, NoStoreMiddleware, SecurityHeadersMiddleware, add_security_headers
from consult.settings import Settings
from consult.surveys.views import routes as surveys_routes
from consult.web import is_fragment_request, make_templates, see_other

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
ERROR_PAGES = {400, 403, 404, 405, 409, 413, 422, 429}
# Pages that carry a token or what one person typed: never kept by a cache, even for a reader not signed in.
PRIVATE_ROUTES = frozenset(
    {"accounts:login", "accounts:register", "accounts:forgot", "accounts:reset", "accounts:confirm",
     "organisations:invitation", "notifications:unsubscribe"}
)  # fmt: skip


def error_page(request: Request, status_code: int, detail: str | None = None) -> Response:
    """The translated error page; for an htmx request, a notice swapped into the page's notice area."""
    name = f"errors/{status_code}.html" if status_code in (403, 404, 500) else "errors/generic.html"
    fragment = is_fragment_request(request)
    response = request.app.state.templates.TemplateResponse(
        request,
        "errors/_notice.html" if fragment else name,
        {"status_code": status_code, "detail": detail},
        status_code=status_code,
    )
    if fragment:
        response.headers["HX-Retarget"] = "#htmx-notices"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 401:  # signed out: log in, then come back (to the page a refused form was on)
        back = request.url.path
        if request.method != "GET":
            referer = urlsplit(request.headers.get("referer", ""))
            back = referer.path if referer.netloc == request.url.netloc and referer.path else "/"
        return see_other(str(request.url_for("accounts:login").include_query_params(next=back)))
    status = exc.status_code if exc.status_code in ERROR_PAGES else 400
    return error_page(request, status, exc.detail if exc.detail != str(exc.status_code) else None)


async def server_error(request: Request, exc: Exception) -> Response:
    # Logged with its traceback and request id by RequestLogMiddleware, which the exception passed on its way here.
    response = error_page(request, 500)
    response.headers[REQUEST_ID_HEADER] = getattr(request.state, "request_id", "")
    add_security_headers(response.headers, request.app.state.settings.https)
    response.headers["Cache-Control"] = "no-store"  # sent outside NoStoreMiddleware, and may name the reader
    return response


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    settings.refuse_public_key()
    engine = make_engine(settings.database_url)
    remember_settings(engine, settings)  # notify() signs unsubscribe links with this app's key and address
    middleware = [
        Middleware(RequestLogMiddleware, trusted_proxies=settings.trusted_proxies, quiet_paths=(HEALTH_PATH,)),
        Middleware(HealthCheckMiddleware, engine=engine),  # a load balancer's probe: before the host check
        Middleware(HeadAsGetMiddleware),
        # The client address (log-in throttle, rate limits) comes from X-Forwarded-For only via TRUSTED_PROXIES.
        Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies),
        Middleware(SecurityHeadersMiddleware, https=settings.https),
        Middleware(NoStoreMiddleware, private_routes=PRIVATE_ROUTES),
        # A forged Host must not make pages whose links point elsewhere (the page cache would keep them).
        Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings.base_url), www_redirect=False),
        Middleware(DBSessionMiddleware, engine=engine),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie="consult_session",
            same_site="lax",
            https_only=settings.https,
            max_age=14 * 24 * 3600,
        ),
        Middleware(LocaleMiddleware, default_locale=settings.default_locale),
        Middleware(AuthMiddleware),
        Middleware(RefuseOutOfRangeMiddleware, on_failure=error_page),
        Middleware(
            CSRFMiddleware,
            max_body_bytes=settings.max_body_bytes,
            on_failure=error_page,
            exempt=one_click_unsubscribe,  # its signed token is the authority (notifications/views.py says why)
        ),
    ]
    routes = [
        *page_routes,
        *account_routes,
        *me_routes,
        *organisation_routes,
        *consultation_routes,
        *change_routes,
        *desk_routes,
        *version_routes,
        *opinion_routes,
        *comment_routes,
        *answer_routes,
        *proposal_routes,
        *cosign_routes,
        *entry_routes,
        *permalink_routes,
        *search_routes,
        *receipt_routes,
        *record_routes,
        *feed_routes,
        *municipality_routes,
        *forum_routes,
        *network_routes,
        *group_routes,
        *meeting_routes,
        *resource_routes,
        *announcements_routes,
        *notifications_routes,
        *knowledge_routes,
        *advice_routes,
        *surveys_routes,
        *commitments_routes,
        *reports_routes,
        *outbox_routes,
        *bulletin_routes,
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(
        debug=False,
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: http_error, 500: server_error},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.page_cache = PageCache()
    app.state.templates = make_templates(settings.time_zone, auto_reload=settings.environment == "development")
    return app


def __getattr__(name: str) -> Starlette:
    """`consult.app:app`, built on first use so importing the module needs no environment."""
    if name == "app":
        global app
        configure_logging()  # served by a server (uvicorn, gunicorn), not by a test
        app = create_app()
        return app
    raise AttributeError(name)
