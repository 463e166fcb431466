"""The coordinators' pages of a network: applications to decide, coordinators to add and remove, attendance."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.errors import DomainError
from consult.forms import Form, empty_form, parse_form, validate, values_of
from consult.i18n import _, gettext
from consult.models import Network
from consult.networks import actions, attendance, queries
from consult.networks.guards import link_to, load_network, refuse, require
from consult.web import flash, is_fragment_request, render, see_other, send_mail_after

COORDINATORS_ONLY = _("Only the network's coordinators see this page.")
DECIDED_SHOWN = 20


def _applications_context(request: Request, network: Network, forms: dict[int, Form] | None = None) -> dict:
    db = request.state.db
    pending = queries.applications_of(db, network.id)
    forms = forms or {}
    for application in pending:
        form = forms.setdefault(application.membership.id, empty_form())
        form.prefix = f"application-{application.membership.id}-"
    return {
        "network": network,
        "pending": pending,
        "decided": queries.applications_of(db, network.id, "admitted", DECIDED_SHOWN)
        + queries.applications_of(db, network.id, "declined", DECIDED_SHOWN),
        "forms": forms,
        "meetings": queries.meetings_of(db, network.id),
    }


async def applications(request: Request):
    network = load_network(request)
    require(request, network, "network.decide", COORDINATORS_ONLY)
    return render(request, "networks/applications.html", _applications_context(request, network))


async def decide(request: Request):
    values = values_of(await request.form())
    network = load_network(request)
    user, _access = require(request, network, "network.decide", COORDINATORS_ONLY)
    db = request.state.db
    application_id = request.path_params["application_id"]
    form = parse_decision(values)
    status = 422
    if form.ok:
        link = link_to(request, "networks:detail", slug=network.slug)
        try:
            actions.decide_application(db, user, network, application_id, form.data, link)
        except DomainError as error:
            db.rollback()
            if error.status_code in (403, 404, 409):  # not for this person, gone, or decided by another already
                raise refuse(error) from error
            form.add_error(error)
            status = error.status_code
        else:
            return send_mail_after(request, _decided(request, network, application_id, form.data.decision))
    context = _applications_context(request, network, {application_id: form})
    context["application"] = next((a for a in context["pending"] if a.membership.id == application_id), None)
    context["form"] = form
    return render(
        request, "networks/applications.html", context, fragment="networks/_application.html", status_code=status
    )


def parse_decision(values: dict) -> Form:
    """The decision form; "not at a meeting" is the empty choice."""
    cleaned = dict(values)
    cleaned["meeting_id"] = cleaned.get("meeting_id") or None
    form = validate(actions.DecisionInput, cleaned)
    form.values = values
    return form


def _decided(request: Request, network: Network, application_id: int, decision: str) -> Response:
    message = (
        gettext("The organisation is admitted. Its admins have been told by e-mail.")
        if decision == "admit"
        else gettext("The application is declined. The organisation's admins have been told by e-mail.")
    )
    if not is_fragment_request(request):
        flash(request, message)
        return see_other(request.url_for("networks:applications", slug=network.slug))
    db = request.state.db
    application = next(
        a
        for status in ("admitted", "declined")
        for a in queries.applications_of(db, network.id, status, DECIDED_SHOWN)
        if a.membership.id == application_id
    )
    meetings = queries.meetings_of(db, network.id)
    context = {"network": network, "application": application, "notice": message, "meetings": meetings}
    return render(request, "networks/_application.html", context)


def _coordinators_context(request: Request, network: Network, form: Form | None = None) -> dict:
    return {
        "network": network,
        "coordinators": queries.coordinators_of(request.state.db, network.id),
        "form": form or empty_form(),
    }


async def coordinators(request: Request):
    network = load_network(request)
    require(request, network, "network.manage_coordinators", COORDINATORS_ONLY)
    return render(request, "networks/coordinators.html", _coordinators_context(request, network))


async def add_coordinator(request: Request):
    form = await parse_form(request, actions.CoordinatorInput)
    network = load_network(request)
    user, _access = require(request, network, "network.manage_coordinators", COORDINATORS_ONLY)
    db = request.state.db
    status = 422
    if form.ok:
        try:
            added = actions.add_coordinator(
                db, user, network, form.data, link_to(request, "networks:detail", slug=network.slug)
            )
        except DomainError as error:
            db.rollback()
            form.add_error(error)
            status = error.status_code
        else:
            flash(request, gettext("%(name)s now coordinates the network.", name=added.display_name))
            return send_mail_after(request, see_other(request.url_for("networks:coordinators", slug=network.slug)))
    context = _coordinators_context(request, network, form)
    return render(request, "networks/coordinators.html", context, status_code=status)


async def remove_coordinator(request: Request):
    network = load_network(request)
    user, _access = require(request, network, "network.manage_coordinators", COORDINATORS_ONLY)
    coordinator_id = request.path_params["coordinator_id"]
    try:
        actions.remove_coordinator(request.state.db, user, network, coordinator_id)
    except DomainError as error:
        raise refuse(error) from error
    if coordinator_id == user.id:
        flash(request, gettext("You no longer coordinate the network."))
        return see_other(request.url_for("networks:detail", slug=network.slug))
    flash(request, gettext("The person no longer coordinates the network."))
    return see_other(request.url_for("networks:coordinators", slug=network.slug))


async def attendance_page(request: Request):
    network = load_network(request)
    require(request, network, "network.attendance", COORDINATORS_ONLY)
    context = {"network": network, "attendance": attendance.attendance_of(request.state.db, network)}
    return render(request, "networks/attendance.html", context)


routes = [
    Route("/networks/{slug}/applications", applications, name="networks:applications"),
    Route("/networks/{slug}/applications/{application_id:id}", decide, methods=["POST"], name="networks:decide"),
    Route("/networks/{slug}/coordinators", coordinators, name="networks:coordinators"),
    Route("/networks/{slug}/coordinators", add_coordinator, methods=["POST"], name="networks:add_coordinator"),
    Route(
        "/networks/{slug}/coordinators/{coordinator_id:id}/remove",
        remove_coordinator,
        methods=["POST"],
        name="networks:remove_coordinator",
    ),
    Route("/networks/{slug}/attendance", attendance_page, name="networks:attendance"),
]
