"""What the pages of the bookings list: each booking with its resource and the two organisations, an
organisation's bookings both ways, the state a booking is shown in, and whom a person may ask in the name of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from consult.i18n import _, gettext
from consult.models import Booking, Organisation, Resource, User, utcnow
from consult.permissions import Principal

STATUS_LABELS = {
    "requested": _("Awaiting a decision"),
    "accepted": _("Booking accepted"),
    "declined": _("Request declined"),
    "cancelled": _("Booking cancelled"),
    "withdrawn": _("Request withdrawn"),
    "lapsed": _("Not decided in time"),
}


def status_of(booking: Booking, now: datetime | None = None) -> str:
    """The booking's state as shown: a request whose time came without a decision has lapsed; one cancelled before
    any decision was withdrawn."""
    if booking.status == "requested" and booking.starts_at <= (now or utcnow()):
        return "lapsed"
    if booking.status == "cancelled" and booking.decided_at is None:
        return "withdrawn"
    return booking.status


def status_label(booking: Booking) -> str:
    return gettext(STATUS_LABELS[status_of(booking)])


def borrower_options(session: Session, principal: Principal | None, resource: Resource) -> list[Organisation]:
    """The organisations this person may ask in the name of: theirs, other than the owner."""
    if principal is None:
        return []
    ids = [i for i in principal.roles if i != resource.organisation_id]
    if not ids:
        return []
    return list(session.exec(select(Organisation).where(col(Organisation.id).in_(ids)).order_by(Organisation.name)))


@dataclass
class BookingRow:
    """A booking with what a list shows of it: the resource, its owner, the borrower and who asked."""

    booking: Booking
    resource: Resource
    owner: Organisation
    borrower: Organisation
    requester: str  # the asking person's name, for the two organisations' members

    @property
    def status(self) -> str:
        return status_of(self.booking)


def _rows(session: Session, *conditions, order=None, limit: int | None = None) -> list[BookingRow]:
    owner, borrower = aliased(Organisation), aliased(Organisation)
    query = (
        select(Booking, Resource, owner, borrower, User.display_name)
        .join(Resource, col(Resource.id) == Booking.resource_id)
        .join(owner, owner.id == Resource.organisation_id)
        .join(borrower, borrower.id == Booking.organisation_id)
        .outerjoin(User, col(User.id) == Booking.requested_by_id)
        .where(*conditions)
        .order_by(*(order or (col(Booking.starts_at), col(Booking.id))))
    )
    if limit:
        query = query.limit(limit)
    return [BookingRow(b, r, o, w, name or "") for b, r, o, w, name in session.exec(query).all()]


def booking_row(session: Session, booking_id: int) -> BookingRow | None:
    rows = _rows(session, Booking.id == booking_id)
    return rows[0] if rows else None


@dataclass
class OrganisationBookings:
    """An organisation's bookings page: what others ask of it, what it asked of others, and the history."""

    to_decide: list[BookingRow]  # requests for its resources, still to come
    lent: list[BookingRow]  # its resources' accepted bookings still to come
    asked: list[BookingRow]  # its own requests and bookings still to come
    history: list[BookingRow]  # the rest, newest first (the last HISTORY)


HISTORY = 30


def organisation_bookings(session: Session, organisation_id: int) -> OrganisationBookings:
    """Three queries whatever the number of bookings."""
    now = utcnow()
    owned = select(Resource.id).where(Resource.organisation_id == organisation_id)
    live = col(Booking.status).in_(("requested", "accepted"))
    incoming = _rows(session, col(Booking.resource_id).in_(owned), live, col(Booking.ends_at) > now)
    outgoing = _rows(session, Booking.organisation_id == organisation_id, live, col(Booking.ends_at) > now)
    mine = col(Booking.resource_id).in_(owned) | (Booking.organisation_id == organisation_id)
    past = (~live) | (col(Booking.ends_at) <= now) | ((Booking.status == "requested") & (col(Booking.starts_at) <= now))
    history = _rows(session, mine, past, order=(col(Booking.starts_at).desc(), col(Booking.id).desc()), limit=HISTORY)
    return OrganisationBookings(
        to_decide=[row for row in incoming if row.status == "requested"],
        lent=[row for row in incoming if row.status == "accepted"],
        asked=[row for row in outgoing if row.status in ("requested", "accepted")],
        history=history,
    )
