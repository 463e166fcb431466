"""The bulletin routes: `/municipalities/{slug}/bulletin/{month}` (HTML, printable on A4) and its PDF. Public."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from consult.bulletin import actions
from consult.bulletin.pdf import render_pdf
from consult.i18n import current_locale
from consult.web import render


def _context(request: Request) -> dict:
    """The municipality and month of the path, and the month's bulletin; 404 for an unknown one or a bad month."""
    db = request.state.db
    municipality = actions.get_municipality(db, request.path_params["slug"])
    month = actions.parse_month(request.path_params["month"])
    if municipality is None or month is None:
        raise HTTPException(404)
    zone = request.app.state.settings.time_zone
    locale = current_locale.get()
    return {
        "b": actions.bulletin(db, municipality, month, zone),
        "month_label": month.label(locale),
        "current": actions.current_month(zone),
        "amount": lambda item: actions.amount_text(item, locale),
        "day": lambda day: actions.day_text(day, locale),
        "category": actions.category_text,
    }


async def month(request: Request):
    return render(request, "bulletin/month.html", _context(request))


async def pdf(request: Request):
    context = _context(request)
    templates = request.app.state.templates
    html = templates.TemplateResponse(request, "bulletin/pdf.html", context).body.decode()
    data = await run_in_threadpool(render_pdf, html, str(request.base_url))
    b = context["b"]
    filename = f"biuletyn-{b.municipality.slug}-{b.month.key}.pdf"
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


routes: list[BaseRoute] = [
    Route("/municipalities/{slug}/bulletin/{month}.pdf", pdf, name="bulletin:pdf"),
    Route("/municipalities/{slug}/bulletin/{month}", month, name="bulletin:month"),
]
