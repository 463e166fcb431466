"""The council's opinion page (read, request, give) and the page where a municipality names its council."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.consultations.views import load_consultation
from consult.forms import DomainError, Form, empty_form, parse_form
from consult.i18n import gettext
from consult.models import Organisation
from consult.opinions import actions
from consult.organisations.views import load_organisation, require_user
from consult.permissions import can
from consult.web import flash, render, see_other, send_mail_after


def _page(request: Request, consultation, municipality, form: Form | None = None, status_code: int = 200):
    db, user = request.state.db, request.state.user
    status = actions.opinion_status(db, consultation, municipality)
    context = {
        "consultation": consultation,
        "municipality": municipality,
        "opinion_status": status,
        "can_manage": can(user, "consultation.manage", municipality),
        "sits_on_council": status.opinion is not None and actions.sits_on(user, status.opinion.council_id),
        "form": form or empty_form(),
    }
    return render(request, "opinions/detail.html", context, status_code=status_code)


async def detail(request: Request):
    """The council's opinion: its state, the opinion itself once given, and the form for the council's members."""
    consultation, municipality = load_consultation(request)
    return _page(request, consultation, municipality)


async def request_opinion(request: Request):
    consultation, municipality = load_consultation(request)
    base = request.app.state.settings.base_url.rstrip("/")  # the site's address, not the one this request came by
    link = base + request.url_for("opinions:detail", slug=consultation.slug).path
    try:
        actions.request_opinion(request.state.db, request.state.user, consultation, link)
    except DomainError as error:
        request.state.db.rollback()
        raise HTTPException(error.status_code, error.translated()) from error
    flash(request, gettext("The council is asked for its opinion. Its members have been told by e-mail."))
    return send_mail_after(request, see_other(request.url_for("opinions:detail", slug=consultation.slug)))


async def submit(request: Request):
    """A council member gives the opinion; a refusal shows the page again with the typed text kept."""
    form = await parse_form(request, actions.OpinionInput)
    consultation, municipality = load_consultation(request)
    user = require_user(request)
    opinion = actions.opinion_of(request.state.db, consultation)
    if opinion is not None and not actions.sits_on(user, opinion.council_id):  # before the form's errors
        raise HTTPException(403, gettext("Only members of the council give its opinion."))
    status_code = 422
    if form.ok:
        try:
            actions.submit_opinion(request.state.db, user, consultation, form.data)
        except DomainError as error:
            request.state.db.rollback()
            if error.status_code == 403:
                raise HTTPException(403, error.translated()) from error
            form.add_error(error)
            status_code = error.status_code
        else:
            flash(request, gettext("The council's opinion is published with the consultation."))
            return see_other(request.url_for("opinions:detail", slug=consultation.slug))
    return _page(request, consultation, municipality, form, status_code)


async def council(request: Request):
    """A municipality's admins and officials name its public benefit council."""
    posted = await parse_form(request, actions.CouncilInput) if request.method == "POST" else None
    municipality = load_organisation(request)
    user = require_user(request)
    if municipality.kind != "municipality" or not can(user, "consultation.manage", municipality):
        raise HTTPException(403, gettext("Only the municipality's admins and officials name its council."))
    db = request.state.db
    form = posted or council_form(municipality)
    form.prefix = "council-"
    if posted is not None and posted.ok:
        try:
            actions.set_council(db, user, municipality, posted.data)
        except DomainError as error:
            db.rollback()
            form.add_error(error)
        else:
            flash(request, gettext("The public benefit council is saved."))
            return see_other(request.url_for("organisations:profile", slug=municipality.slug))
    context = {
        "organisation": municipality,
        "council_form": form,
        "councils": actions.council_choices(db, municipality),
    }
    return render(request, "opinions/council.html", context, status_code=422 if form.errors else 200)


def council_form(municipality: Organisation) -> Form:
    """The council select, as the profile edit page and the council page show it."""
    return Form(None, {"council_id": str(municipality.benefit_council_id or "")}, prefix="council-")


routes = [
    Route("/consultations/{slug}/opinion", detail, name="opinions:detail"),
    Route("/consultations/{slug}/opinion", submit, methods=["POST"], name="opinions:submit"),
    Route("/consultations/{slug}/opinion/request", request_opinion, methods=["POST"], name="opinions:request"),
    Route("/organisations/{slug}/council", council, methods=["GET", "POST"], name="opinions:council"),
]
