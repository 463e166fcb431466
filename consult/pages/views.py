"""The home page, the accessibility statement and the language switch."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult.consultations.actions import ListFilter, list_consultations
from consult.context import LOCALE_COOKIE
from consult.i18n import LOCALES
from consult.organisations.actions import directory_counts
from consult.records.actions import recent_records
from consult.web import render, safe_next, see_other


async def home(request: Request):
    db = request.state.db
    open_now, _total = list_consultations(db, ListFilter(status="open"), page_size=5)
    context = {"counts": directory_counts(db), "open_now": open_now, "outcomes": recent_records(db)}
    return render(request, "pages/home.html", context)


async def accessibility(request: Request):
    return render(request, "pages/accessibility.html")


async def language(request: Request):
    """Remember the reader's language in a cookie and go back where they were."""
    code = request.path_params["code"]
    response = see_other(safe_next(request.query_params.get("next")))
    if code in LOCALES:
        response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


async def favicon(request: Request):
    """Browsers ask for /favicon.ico whatever the page says."""
    return see_other(request.url_for("static", path="favicon.svg"))


routes = [
    Route("/", home, name="pages:home"),
    Route("/accessibility", accessibility, name="pages:accessibility"),
    Route("/language/{code}", language, name="pages:language"),
    Route("/favicon.ico", favicon, name="pages:favicon"),
]
