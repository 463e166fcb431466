"""Routes of the networks feature: the list, founding a network, its page with the application form, editing it,
applying and leaving. Coordinators' pages live in `manage_views.py`, the members' pages in `member_views.py`."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.errors import DomainError
from consult.forms import Form, empty_form, parse_form
from consult.i18n import _, gettext
from consult.meetings.queries import upcoming_meetings
from consult.models import Network
from consult.networks import actions, manage_views, member_views, queries
from consult.networks.guards import load_network, refuse, require, require_user
from consult.organisations.actions import organisations_of
from consult.permissions import can
from consult.web import flash, is_fragment_request, page_number, render, see_other

COORDINATORS_ONLY = _("Only the network's coordinators can change it.")


async def network_list(request: Request):
    page = page_number(request)
    rows, total = queries.list_networks(request.state.db, page)
    user = request.state.user
    context = {
        "rows": rows,
        "page": page,
        "pages": max((total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, 1),
        "total": total,
        "can_create": user is not None and can(user, "network.create", organisations_of(request.state.db, user.id)),
    }
    return render(request, "networks/list.html", context)


def _form_context(request: Request, form: Form, network: Network | None) -> dict:
    return {"form": form, "network": network, "municipalities": queries.municipality_choices(request.state.db)}


async def create(request: Request):
    posted = await parse_form(request, actions.NetworkInput) if request.method == "POST" else None
    user = require_user(request)
    db = request.state.db
    if not can(user, "network.create", organisations_of(db, user.id)):
        raise HTTPException(403, gettext(actions.FOUNDERS_ONLY))
    form: Form = posted or empty_form()
    if posted is not None and posted.ok:
        try:
            network = actions.create_network(db, user, posted.data)
        except DomainError as error:
            db.rollback()
            form.add_error(error)
        else:
            flash(request, gettext("The network %(name)s is founded. You are its coordinator.", name=network.name))
            return see_other(request.url_for("networks:detail", slug=network.slug))
    status = 422 if form.errors else 200
    return render(request, "networks/form.html", _form_context(request, form, None), status_code=status)


def detail_context(request: Request, network: Network, apply_form: Form | None = None) -> dict:
    """The network's page: public parts, what the person may do, and the application form."""
    db, user = request.state.db, request.state.user
    access = queries.access_of(db, network)
    own = queries.own_organisations(db, network.id, user)
    eligible = [(str(o.id), o.name) for o, m in own if m is None or m.status in ("declined", "left")]
    form = apply_form or empty_form()
    if not form.values and len(eligible) == 1:
        form.values["organisation_id"] = eligible[0][0]
    form.prefix = "apply-"
    coordinator = user is not None and user.id in access.coordinator_ids
    return {
        "network": network,
        "municipalities": queries.municipalities_of(db, network.id),
        "coordinators": queries.coordinators_of(db, network.id),
        "members": queries.members_of(db, network.id),
        "meetings": upcoming_meetings(db, network_id=network.id, limit=10),
        "own": own,
        "eligible": eligible,
        "apply_form": form,
        "is_coordinator": coordinator,
        "pending_count": queries.count_pending(db, network.id) if coordinator else 0,
        "can_edit": can(user, "network.edit", access),
        "can_read_members": can(user, "network.read_members", access),
    }


async def detail(request: Request):
    network = load_network(request)
    return render(request, "networks/detail.html", detail_context(request, network))


async def edit(request: Request):
    posted = await parse_form(request, actions.NetworkInput) if request.method == "POST" else None
    network = load_network(request)
    user, _access = require(request, network, "network.edit", COORDINATORS_ONLY)
    db = request.state.db
    values = {"name": network.name, "charter": network.charter}
    values["municipalities"] = [str(m.id) for m in queries.municipalities_of(db, network.id)]
    form: Form = posted or Form(None, values)
    if posted is not None and posted.ok:
        try:
            actions.update_network(db, user, network, posted.data)
        except DomainError as error:
            db.rollback()
            if error.status_code == 403:
                raise refuse(error) from error
            form.add_error(error)
        else:
            flash(request, gettext("The network's page has been saved."))
            return see_other(request.url_for("networks:detail", slug=network.slug))
    status = 422 if form.errors else 200
    return render(request, "networks/form.html", _form_context(request, form, network), status_code=status)


async def apply(request: Request):
    form = await parse_form(request, actions.ApplicationInput)
    network = load_network(request)
    user = require_user(request)
    db = request.state.db
    status = 422
    if form.ok:
        try:
            actions.apply_to_network(db, user, network, form.data)
        except DomainError as error:
            db.rollback()
            form.add_error(error)
            status = error.status_code
        else:
            message = gettext("The application has been sent. The network's coordinators will decide.")
            if not is_fragment_request(request):
                flash(request, message)
                return see_other(f"{request.url_for('networks:detail', slug=network.slug)}#network-apply")
            context = detail_context(request, network) | {"notice": message}
            return render(request, "networks/_apply.html", context)
    context = detail_context(request, network, form)
    return render(request, "networks/detail.html", context, fragment="networks/_apply.html", status_code=status)


async def leave(request: Request):
    form = await parse_form(request, actions.LeaveInput)
    network = load_network(request)
    user = require_user(request)
    if not form.ok:  # the buttons send their organisation: only a hand-made request gets here
        raise HTTPException(422, gettext("Choose the organisation that leaves the network."))
    try:
        was = actions.leave_network(request.state.db, user, network, form.data.organisation_id)
    except DomainError as error:
        raise refuse(error) from error
    if was == "admitted":
        flash(request, gettext("The organisation has left the network."))
    else:
        flash(request, gettext("The application has been withdrawn."))
    return see_other(f"{request.url_for('networks:detail', slug=network.slug)}#network-apply")


routes = [
    Route("/networks", network_list, name="networks:list"),
    Route("/networks/new", create, methods=["GET", "POST"], name="networks:create"),
    Route("/networks/{slug}", detail, name="networks:detail"),
    Route("/networks/{slug}/edit", edit, methods=["GET", "POST"], name="networks:edit"),
    Route("/networks/{slug}/apply", apply, methods=["POST"], name="networks:apply"),
    Route("/networks/{slug}/leave", leave, methods=["POST"], name="networks:leave"),
    *member_views.routes,
    *manage_views.routes,
]
