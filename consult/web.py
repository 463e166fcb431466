"""render() (page or fragment), see_other(), the template environment and its filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from consult import i18n, labels
from consult.comments.actions import descendants
from consult.markdown import render_markdown
from consult.permissions import can

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
HTMX_INTEGRITY = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


def _context(request: Request) -> dict[str, Any]:
    state = request.state
    return {
        "current_user": getattr(state, "user", None),
        "csrf_token": request.scope.get("session", {}).get("csrf", ""),
        "locale": i18n.current_locale.get(),
        "htmx_integrity": HTMX_INTEGRITY,
        "flash": request.scope.get("session", {}).pop("flash", None),
    }


def make_templates(time_zone: str) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.filters["when"] = lambda value, style="long": i18n.format_when(value, time_zone, style)
    env.filters["markdown"] = lambda text: Markup(render_markdown(text or ""))
    env.globals.update(
        kind_label=labels.kind_label,
        field_label=labels.field_label,
        role_label=labels.role_label,
        fields_options=labels.field_options,
        role_options=labels.role_options,
        descendants=descendants,
        status_label=labels.status_label,
        participation_options=labels.participation_options,
        participation_label=labels.participation_label,
        municipality_options=labels.municipality_options,
        can=can,
        time_left=i18n.time_left,
    )
    return Jinja2Templates(env=env, context_processors=[_context])


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


def page_number(request: Request) -> int:
    """The ?page= of a paged list: 1 when missing or not a positive number."""
    try:
        return max(int(request.query_params.get("page", "1")), 1)
    except ValueError:
        return 1


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(str(url), status_code=303)


def flash(request: Request, message: str) -> None:
    """A notification banner shown on the next page (already translated)."""
    request.session["flash"] = message


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths, so a link cannot send the user to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def send_mail_after(request: Request, response: Response) -> Response:
    """Send the outbox once the response has gone out: the reader never waits for (or times) the SMTP server."""
    from consult.mail import deliver_pending

    response.background = BackgroundTask(deliver_pending, request.state.db, request.app.state.settings)
    return response
