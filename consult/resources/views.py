"""Pages of the rooms and equipment organisations lend: everything on offer, one organisation's offer, a resource
with its calendar and the request form, and the admins' forms to add, edit, deactivate and delete."""

from __future__ import annotations

from datetime import timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.errors import DomainError
from consult.forms import Form, parse_form, values_of
from consult.i18n import gettext
from consult.models import Organisation, Resource
from consult.organisations.views import require_user
from consult.permissions import can
from consult.resources import actions, booking_lists, bookings, queries
from consult.resources.booking_views import booking_link, load_organisation
from consult.resources.booking_views import routes as booking_routes
from consult.web import flash, is_fragment_request, page_number, render, see_other, send_mail_after


def load_resource(request: Request) -> tuple[Resource, Organisation]:
    db = request.state.db
    resource = actions.get_resource(db, request.path_params["resource_id"])
    if resource is None:
        raise HTTPException(404)
    return resource, db.get(Organisation, resource.organisation_id)


def _min_capacity(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < len(value) <= 6 else None


async def list_page(request: Request):
    params = request.query_params
    f = actions.ResourceFilter(
        kind=params.get("kind", "") if params.get("kind") in actions.KIND_LABELS else "",
        step_free=params.get("step_free") == "1",
        hearing_loop=params.get("hearing_loop") == "1",
        min_capacity=_min_capacity(params.get("min_capacity", "").strip()),
        q=params.get("q", "").strip()[:100],
        page=page_number(request),
    )
    rows, total = actions.list_resources(request.state.db, f)
    context = {"rows": rows, "total": total, "filter": f, "page_size": actions.PAGE_SIZE, "kinds": _kinds()}
    return render(request, "resources/list.html", context, fragment="resources/_results.html")


def _kinds() -> list[tuple[str, str]]:
    return [(kind, gettext(label)) for kind, label in actions.KIND_LABELS.items()]


async def of_organisation(request: Request):
    organisation = load_organisation(request)
    user = request.state.user
    manages = can(user, "resource.create", organisation)
    context = {
        "organisation": organisation,
        "resources": actions.resources_of(request.state.db, organisation, with_inactive=manages),
        "manages": manages,
        "sees_bookings": can(user, "booking.list", organisation),
    }
    return render(request, "resources/organisation.html", context)


def request_block(request: Request, resource: Resource, form: Form | None = None, notice: str = "") -> dict:
    """What the request region of a resource's page shows: why the reader cannot ask, or the form."""
    db, user = request.state.db, request.state.user
    refusal = bookings.why_not_request(user, resource) if user else None
    options = booking_lists.borrower_options(db, user, resource)
    if form is None:
        form = Form(None, {"organisation_id": str(options[0].id) if options else ""})
    return {
        "resource": resource,
        "refusal": gettext(refusal) if refusal else "",
        "inactive": not resource.active,
        "options": options,
        "form": form,
        "notice": notice,
    }


def _detail_context(request: Request, resource: Resource, owner: Organisation, form: Form | None = None) -> dict:
    db = request.state.db
    first = queries.calendar_start(request.query_params.get("from"))
    return {
        "resource": resource,
        "owner": owner,
        "weeks": queries.calendar(db, resource, first),
        "earlier": (first - timedelta(weeks=queries.CALENDAR_WEEKS)).isoformat(),
        "later": (first + timedelta(weeks=queries.CALENDAR_WEEKS)).isoformat(),
        "can_edit": can(request.state.user, "resource.edit", resource),
        "has_bookings": actions.has_bookings(db, resource.id),
        "block": request_block(request, resource, form),
    }


async def detail(request: Request):
    resource, owner = load_resource(request)
    context = _detail_context(request, resource, owner)
    return render(request, "resources/detail.html", context, fragment="resources/_calendar.html")


async def request_resource(request: Request):
    """Ask to borrow the resource: the region again with a notice (htmx) or the booking's page; refusals beside
    their fields with what was typed (422 for a bad value, 409 for an overlap)."""
    form = await parse_form(request, bookings.BookingInput)
    resource, owner = load_resource(request)
    user = require_user(request)
    db = request.state.db
    if (refusal := bookings.why_not_request(user, resource)) is not None:
        raise HTTPException(403, gettext(refusal))
    status = 422
    if not form.ok and "head_count" not in form.errors:  # the room's own rule, told together with the others
        typed = str(form.values.get("head_count", "")).strip()
        number = int(typed) if typed.isdigit() and len(typed) < 9 else None
        if (refusal := bookings.head_count_refusal(resource, number)) is not None and (number or not typed):
            form.add_error(refusal)
    if form.ok:
        try:
            booking = bookings.request_booking(db, user, resource, form.data, link=booking_link(request))
        except DomainError as error:
            db.rollback()
            if error.status_code == 403:
                raise HTTPException(403, error.translated()) from error
            form.add_error(error)
            status = error.status_code
        else:
            notice = gettext(
                "Your request has been sent to %(owner)s. You will get an e-mail when they decide.", owner=owner.name
            )
            if is_fragment_request(request):
                context = {"block": request_block(request, resource, notice=notice) | {"booking_id": booking.id}}
                return send_mail_after(request, render(request, "resources/_request_form.html", context))
            flash(request, notice)
            return send_mail_after(request, see_other(request.url_for("resources:booking", booking_id=booking.id)))
    context = _detail_context(request, resource, owner, form)
    return render(
        request, "resources/detail.html", context, fragment="resources/_request_form.html", status_code=status
    )


def _form_page(request: Request, organisation: Organisation, resource: Resource | None, form: Form, status: int):
    context = {"organisation": organisation, "resource": resource, "form": form, "kinds": _kinds()}
    return render(request, "resources/form.html", context, status_code=status)


async def create(request: Request):
    posted = await parse_form(request, actions.ResourceInput) if request.method == "POST" else None
    organisation = load_organisation(request)
    user = require_user(request)
    if not can(user, "resource.create", organisation):
        raise HTTPException(403)
    if posted is None:
        return _form_page(request, organisation, None, Form(None, {"kind": "room"}), 200)
    status = 422
    if posted.ok:
        try:
            resource = actions.create_resource(request.state.db, user, organisation, posted.data)
        except DomainError as error:
            request.state.db.rollback()
            posted.add_error(error)
            status = error.status_code
        else:
            flash(request, gettext("%(name)s is now on offer.", name=resource.name))
            return see_other(request.url_for("resources:detail", resource_id=resource.id))
    return _form_page(request, organisation, None, posted, status)


async def edit(request: Request):
    posted = await parse_form(request, actions.ResourceInput) if request.method == "POST" else None
    resource, owner = load_resource(request)
    user = require_user(request)
    if not can(user, "resource.edit", resource):
        raise HTTPException(403)
    if posted is None:
        values = {k: ("" if v is None else v) for k, v in resource.model_dump().items()}
        return _form_page(request, owner, resource, Form(None, values), 200)
    status = 422
    if posted.ok:
        try:
            actions.update_resource(request.state.db, user, resource, posted.data)
        except DomainError as error:
            request.state.db.rollback()
            posted.add_error(error)
            status = error.status_code
        else:
            flash(request, gettext("The changes have been saved."))
            return see_other(request.url_for("resources:detail", resource_id=resource.id))
    return _form_page(request, owner, resource, posted, status)


async def set_active(request: Request):
    """Deactivate a resource (no new requests) or offer it again."""
    active = values_of(await request.form()).get("active")
    resource, _owner = load_resource(request)
    user = require_user(request)
    if not can(user, "resource.edit", resource):
        raise HTTPException(403)
    if active not in ("0", "1"):
        raise HTTPException(422, gettext("Choose whether the resource is on offer."))
    actions.set_resource_active(request.state.db, user, resource, active == "1")
    flash(
        request,
        gettext("%(name)s is on offer again.", name=resource.name)
        if resource.active
        else gettext("%(name)s is no longer on offer. Its bookings stay as they are.", name=resource.name),
    )
    return see_other(request.url_for("resources:detail", resource_id=resource.id))


async def delete(request: Request):
    await request.form()
    resource, owner = load_resource(request)
    user = require_user(request)
    if not can(user, "resource.edit", resource):
        raise HTTPException(403)
    name = resource.name
    try:
        actions.delete_resource(request.state.db, user, resource)
    except DomainError as error:
        raise HTTPException(error.status_code, error.translated()) from error
    flash(request, gettext("%(name)s has been deleted.", name=name))
    return see_other(request.url_for("resources:of_organisation", slug=owner.slug))


routes = [
    Route("/resources", list_page, name="resources:list"),
    *booking_routes,
    Route("/resources/{resource_id:id}", detail, name="resources:detail"),
    Route("/resources/{resource_id:id}/bookings", request_resource, methods=["POST"], name="resources:request"),
    Route("/resources/{resource_id:id}/edit", edit, methods=["GET", "POST"], name="resources:edit"),
    Route("/resources/{resource_id:id}/active", set_active, methods=["POST"], name="resources:set_active"),
    Route("/resources/{resource_id:id}/delete", delete, methods=["POST"], name="resources:delete"),
    Route("/organisations/{slug}/resources", of_organisation, name="resources:of_organisation"),
    Route("/organisations/{slug}/resources/new", create, methods=["GET", "POST"], name="resources:create"),
]
