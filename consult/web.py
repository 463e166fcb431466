"""render() (page or fragment), see_other(), the template environment and its filters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.background import BackgroundTask
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, NoMatchFound
from starlette.templating import Jinja2Templates

from consult import i18n, labels
from consult.comments.actions import descendants
from consult.markdown import render_markdown
from consult.permissions import can

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
HTMX_INTEGRITY = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


def _context(request: Request) -> dict[str, Any]:
    state = request.state
    english = i18n.current_locale.get() != "pl"
    return {
        # The documents, comments and proposals are written in Polish: marked so when the interface is not, and the
        # interface's own words inside such a region marked back (a screen reader then reads each in its language).
        "content_lang": Markup(' lang="pl"') if english else Markup(""),
        "interface_lang": Markup(f' lang="{i18n.current_locale.get()}"') if english else Markup(""),
        "current_user": getattr(state, "user", None),
        "csrf_token": request.scope.get("session", {}).get("csrf", ""),
        "locale": i18n.current_locale.get(),
        "htmx_integrity": HTMX_INTEGRITY,
        "flash": request.scope.get("session", {}).pop("flash", None),
    }


_ROUTE_OF: dict[tuple[int, str], BaseRoute] = {}


@jinja2.pass_context
def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
    """Starlette's url_for, remembering which route has each name: Starlette tries every route in turn, raising and
    catching NoMatchFound on each (60-80 µs a call here), and a consultation page calls it hundreds of times."""
    request: Request = context["request"]
    router = request.scope.get("router") or request.app.router  # error pages of middleware come before routing
    key = (id(router), name)
    route = _ROUTE_OF.get(key)
    if route is not None:
        try:
            return route.url_path_for(name, **path_params).make_absolute_url(base_url=request.base_url)
        except NoMatchFound:
            pass
    for route in router.routes:
        try:
            path = route.url_path_for(name, **path_params)
        except NoMatchFound:
            continue
        _ROUTE_OF[key] = route
        return path.make_absolute_url(base_url=request.base_url)
    raise NoMatchFound(name, path_params)


def heading_level(request: Request, default: int) -> int:
    """The level of a fragment's first heading: the ?heading= its htmx request carries (a thread, a form, set where
    the fragment goes, so the page's headings never skip a level), else the default; always 2 to 6."""
    try:
        level = int(request.query_params.get("heading", default))
    except ValueError:
        return default
    return min(max(level, 2), 6)


def make_templates(time_zone: str, auto_reload: bool = True) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        auto_reload=auto_reload,  # off in production: no stat() of every included template on every render
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.filters["when"] = lambda value, style="long": i18n.format_when(value, time_zone, style)
    env.filters["markdown"] = lambda text: Markup(render_markdown(text or ""))
    env.filters["datetime_attr"] = i18n.machine_time  # <time datetime="{{ x | datetime_attr }}">
    env.filters["isotime"] = lambda text: datetime.fromisoformat(text) if text else None
    env.globals.update(
        kind_label=labels.kind_label,
        field_label=labels.field_label,
        role_label=labels.role_label,
        fields_options=labels.field_options,
        role_options=labels.role_options,
        descendants=descendants,
        status_label=labels.status_label,
        form_field_label=labels.form_field_label,
        participation_options=labels.participation_options,
        participation_label=labels.participation_label,
        municipality_options=labels.municipality_options,
        can=can,
        time_left=i18n.time_left,
        heading_level=heading_level,
    )
    templates = Jinja2Templates(env=env, context_processors=[_context])
    env.globals["url_for"] = url_for  # after Jinja2Templates, which installs its own
    return templates


def is_fragment_request(request: Request) -> bool:
    """A real partial request: HTMX, not boosted navigation, not a history restore."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
) -> Response:
    """The fragment for a partial HTMX request, the full page otherwise."""
    templates: Jinja2Templates = request.app.state.templates
    name = fragment if fragment and is_fragment_request(request) else template
    response = templates.TemplateResponse(request, name, context or {}, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response


MAX_PAGE = 1_000_000  # far past the end of any list; a larger page would overflow the query's OFFSET


def page_number(request: Request) -> int:
    """The ?page= of a paged list: 1 when missing or not a positive number; past MAX_PAGE, the 404 page."""
    try:
        page = int(request.query_params.get("page", "1")[:20])
    except ValueError:
        return 1
    if page > MAX_PAGE:
        raise HTTPException(404)
    return max(page, 1)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(str(url), status_code=303)


def flash(request: Request, message: str) -> None:
    """A notification banner shown on the next page (already translated)."""
    request.session["flash"] = message


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths, so a link cannot send the user to another site (browsers drop tabs and line breaks from an
    address, so "/<tab>/evil.example" would read as "//evil.example": no control characters either)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return default
    return target


def send_mail_after(request: Request, response: Response) -> Response:
    """Send the outbox once the response has gone out: the reader never waits for (or times) the SMTP server."""
    from consult.mail import deliver_pending

    response.background = BackgroundTask(deliver_pending, request.state.db, request.app.state.settings)
    return response
