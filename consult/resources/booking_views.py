"""Pages of the bookings: an organisation's requests both ways, one booking, and the forms that decide or cancel.

The decision and cancellation forms post to the booking; with htmx the booking's region comes back in place, without
it a 303 goes back where the form was (the organisation's bookings, or the booking's own page) with a banner.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.errors import DomainError
from consult.forms import Form, parse_form
from consult.i18n import gettext
from consult.models import Organisation
from consult.organisations.actions import get_organisation
from consult.organisations.views import require_user
from consult.permissions import can
from consult.resources import booking_lists, bookings, queries
from consult.resources.booking_lists import BookingRow
from consult.resources.rules import BookingSides, manages
from consult.web import flash, is_fragment_request, render, safe_next, see_other, send_mail_after


def load_organisation(request: Request) -> Organisation:
    organisation = get_organisation(request.state.db, request.path_params["slug"])
    if organisation is None:
        raise HTTPException(404)
    return organisation


def booking_link(request: Request) -> bookings.Link:
    """The booking's address as e-mails give it."""
    return lambda booking_id: str(request.url_for("resources:booking", booking_id=booking_id))


def load_booking(request: Request) -> BookingRow:
    """The booking, for the members of its two organisations (and the platform's admins) only."""
    row = booking_lists.booking_row(request.state.db, request.path_params["booking_id"])
    if row is None:
        raise HTTPException(404)
    user = require_user(request)
    if not can(user, "booking.view", BookingSides(row.booking, row.owner.id)):
        raise HTTPException(403)
    return row


def decision_form(row: BookingRow, form: Form | None = None) -> Form:
    form = form or Form(None, {})
    form.prefix = f"booking-{row.booking.id}-"
    return form


def _booking_context(request: Request, row: BookingRow, *, decision=None, cancel=None, notice: str = "") -> dict:
    user = request.state.user
    sides = BookingSides(row.booking, row.owner.id)
    side = bookings.cancel_side(user, sides)
    status = row.status
    cancel_form = cancel or Form(None, {})
    cancel_form.prefix = f"booking-{row.booking.id}-cancel-"
    return {
        "row": row,
        "span": queries.span,
        "status_label": booking_lists.status_label,
        "meeting": queries.meetings_held(request.state.db, [row.booking.id]).get(row.booking.id),
        "may_decide": status == "requested" and can(user, "booking.decide", sides),
        "may_cancel": status == "accepted" and side is not None or status == "requested" and side == "borrower",
        "decision_form": decision_form(row, decision),
        "cancel_form": cancel_form,
        "notice": notice,
        "cancelled_by_owner": row.booking.cancelled_by_organisation_id == row.owner.id,
    }


async def booking_page(request: Request):
    row = load_booking(request)
    return render(request, "resources/booking.html", _booking_context(request, row))


def _after(request: Request, row: BookingRow, message: str, back: str | None) -> Response:
    """After a decision or a cancellation: the region again with the message (htmx), else a 303 back."""
    if is_fragment_request(request):
        row = booking_lists.booking_row(request.state.db, row.booking.id)
        context = _booking_context(request, row, notice=message)
        return send_mail_after(request, render(request, "resources/_booking.html", context))
    flash(request, message)
    default = str(request.url_for("resources:booking", booking_id=row.booking.id))
    return send_mail_after(request, see_other(safe_next(back, default)))


def _refused(request: Request, row: BookingRow, status: int, **forms: Form) -> Response:
    row = booking_lists.booking_row(request.state.db, row.booking.id)
    context = _booking_context(request, row, **forms)
    return render(request, "resources/booking.html", context, fragment="resources/_booking.html", status_code=status)


async def decide(request: Request):
    form = await parse_form(request, bookings.DecisionInput)
    row = load_booking(request)
    db, user = request.state.db, request.state.user
    if not can(user, "booking.decide", BookingSides(row.booking, row.owner.id)):
        raise HTTPException(403, gettext("Only the admins of the organisation that lends it decide on a request."))
    status = 422
    if form.ok:
        try:
            booking, superseded = bookings.decide_booking(db, user, row.booking, form.data, link=booking_link(request))
        except DomainError as error:
            db.rollback()
            if error.status_code == 403:
                raise HTTPException(403, error.translated()) from error
            form.add_error(error)
            status = error.status_code
        else:
            if booking.status == "declined":
                message = gettext(
                    "The request has been declined. %(name)s will be told by e-mail.", name=row.borrower.name
                )
            else:
                message = gettext(
                    "The booking has been accepted. %(name)s will be told by e-mail.", name=row.borrower.name
                )
                if superseded:
                    message += " " + gettext(
                        "Requests overlapping it were declined and their organisations told: %(count)s.",
                        count=len(superseded),
                    )
            return _after(request, row, message, form.values.get("next"))
    return _refused(request, row, status, decision=form)


async def cancel(request: Request):
    form = await parse_form(request, bookings.CancelInput)
    row = load_booking(request)
    db, user = request.state.db, request.state.user
    if bookings.cancel_side(user, BookingSides(row.booking, row.owner.id)) is None:
        raise HTTPException(
            403, gettext("Only the two organisations' admins, or the person who asked, can cancel a booking.")
        )
    status = 422
    if form.ok:
        try:
            bookings.cancel_booking(db, user, row.booking, form.data, link=booking_link(request))
        except DomainError as error:
            db.rollback()
            if error.status_code == 403:
                raise HTTPException(403, error.translated()) from error
            form.add_error(error)
            status = error.status_code
        else:
            return _after(request, row, gettext("The booking has been cancelled and the other side told."), None)
    return _refused(request, row, status, cancel=form)


async def organisation_bookings(request: Request):
    """An organisation's requests for what it lends (to decide), its resources' bookings, and its own requests."""
    organisation = load_organisation(request)
    user = require_user(request)
    if not can(user, "booking.list", organisation):
        raise HTTPException(403)
    lists = booking_lists.organisation_bookings(request.state.db, organisation.id)
    context = {
        "organisation": organisation,
        "lists": lists,
        "decides": manages(user, organisation.id),
        "forms": {row.booking.id: decision_form(row) for row in lists.to_decide},
        "span": queries.span,
        "status_label": booking_lists.status_label,
    }
    return render(request, "resources/bookings.html", context)


routes = [
    Route("/resources/bookings/{booking_id:id}", booking_page, name="resources:booking"),
    Route("/resources/bookings/{booking_id:id}/decision", decide, methods=["POST"], name="resources:decide"),
    Route("/resources/bookings/{booking_id:id}/cancel", cancel, methods=["POST"], name="resources:cancel"),
    Route("/organisations/{slug}/bookings", organisation_bookings, name="resources:bookings"),
]
