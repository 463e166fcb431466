"""Bookings: an organisation asks to borrow a resource for a time, the owner accepts or declines, either side cancels.

No two accepted bookings of a resource overlap. Every change of a resource's bookings first takes the resource row's
lock (`lock_resource`), then reads and writes: two requests or acceptances at once are serialised by the database,
on PostgreSQL and SQLite alike, never by a check followed by an insert. Overlapping *requests* are allowed (the owner
chooses); accepting one declines the others that overlap it, and their organisations are told.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlmodel import Session, col, select

from consult import ledger
from consult.consultations.actions import parse_local
from consult.errors import DomainError
from consult.forms import invalid
from consult.i18n import _, gettext
from consult.mail import queue_mail
from consult.models import Booking, Membership, Organisation, Resource, User, utcnow
from consult.permissions import Principal, can
from consult.resources.actions import MAX_CAPACITY, lock_resource
from consult.resources.queries import span_text
from consult.resources.rules import BookingSides, Borrowing, manages
from consult.throttle import check_rate

MAX_LENGTH = timedelta(days=14)  # the longest a resource is lent in one booking
HORIZON = timedelta(days=365)  # how far ahead a booking may start
Link = Callable[[int], str]


def booking_path(booking_id: int) -> str:
    return f"/resources/bookings/{booking_id}"


# --- input ------------------------------------------------------------------------------------


def _time_refusal(starts_at: datetime, ends_at: datetime | None, now: datetime) -> DomainError | None:
    """The first thing wrong with a booking's times, as the field it concerns would say it."""
    if starts_at <= now:
        return DomainError("starts_at", _("The start is in the past. Choose a time still to come."))
    if starts_at > now + HORIZON:
        return DomainError("starts_at", _("A booking can start at most a year from now."))
    if ends_at is None:
        return None
    if ends_at <= starts_at:
        return DomainError("ends_at", _("The end must be after the start."))
    if ends_at - starts_at > MAX_LENGTH:
        return DomainError("ends_at", _("A booking can last at most 14 days. Ask for a shorter time."))
    return None


class BookingInput(BaseModel):
    organisation_id: int
    starts_at: datetime
    ends_at: datetime
    head_count: int | None = None
    purpose: str = Field(min_length=3, max_length=2000)

    @field_validator("starts_at", "ends_at", mode="before")
    @classmethod
    def _local_time(cls, value: object) -> object:
        return parse_local(value) if isinstance(value, str) and value else value

    @field_validator("head_count", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("head_count")
    @classmethod
    def _people(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= MAX_CAPACITY:
            raise invalid(_("Enter a number of people, at least 1."))
        return value

    @field_validator("starts_at")
    @classmethod
    def _start(cls, value: datetime) -> datetime:
        if (refusal := _time_refusal(value, None, utcnow())) is not None:
            raise invalid(refusal.message)
        return value

    @field_validator("ends_at")
    @classmethod
    def _end(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        refusal = _time_refusal(starts_at, value, utcnow()) if starts_at is not None else None
        if refusal is not None and refusal.field == "ends_at":
            raise invalid(refusal.message)
        return value


def head_count_refusal(resource: Resource, head_count: int | None) -> DomainError | None:
    """A room needs to know how many people come, never more than it holds; equipment needs no number."""
    if resource.kind != "room":
        return None
    if head_count is None:
        return DomainError("head_count", _("Give how many people will come."))
    if resource.capacity is not None and head_count > resource.capacity:
        return DomainError(
            "head_count",
            _("The room has fewer places (%(capacity)s). Give a smaller number."),
            capacity=resource.capacity,
        )
    return None


class DecisionInput(BaseModel):
    decision: Literal["accept", "decline"]
    note: str = Field(default="", max_length=2000)


class CancelInput(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)


# --- queries ----------------------------------------------------------------------------------


def sides_of(session: Session, booking: Booking) -> BookingSides:
    owner_id = session.exec(select(Resource.organisation_id).where(Resource.id == booking.resource_id)).one()
    return BookingSides(booking, owner_id)


def accepted_overlap(
    session: Session, resource_id: int, starts_at: datetime, ends_at: datetime, *, besides: int | None = None
) -> Booking | None:
    """An accepted booking of the resource sharing some time with [starts_at, ends_at) (back to back is fine)."""
    query = select(Booking).where(
        Booking.resource_id == resource_id,
        Booking.status == "accepted",
        col(Booking.starts_at) < ends_at,
        col(Booking.ends_at) > starts_at,
    )
    if besides is not None:
        query = query.where(Booking.id != besides)
    return session.exec(query.order_by(col(Booking.starts_at)).limit(1)).first()


def why_not_request(principal: Principal | None, resource: Resource) -> str | None:
    """Why this person cannot ask for the resource (a msgid), or None when they can."""
    if principal is None or not principal.roles:
        return _(
            "Only organisations borrow rooms and equipment. Join an organisation, or add yours, to ask for this one."
        )
    if not can(principal, "booking.request", Borrowing(resource)):
        return _("This is your organisation's own resource: there is nothing to ask for.")
    return None


def cancel_side(principal: Principal | None, sides: BookingSides) -> str | None:
    """In whose name this person cancels the booking: "borrower" (its admins, the person who asked) or "owner";
    None when they cannot cancel it."""
    if principal is None or not can(principal, "booking.cancel", sides):
        return None
    role = principal.roles.get(sides.borrower_id)
    if role == "admin" or (role is not None and sides.booking.requested_by_id == principal.id):
        return "borrower"
    return "owner" if manages(principal, sides.owner_id) else None


# --- mail -------------------------------------------------------------------------------------


def manager_addresses(session: Session, organisation_id: int) -> list[str]:
    """Who decides for the owner: its admins (and a municipality's officials)."""
    rows = session.exec(
        select(User.email)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.organisation_id == organisation_id, col(Membership.role).in_(("admin", "official")))
    ).all()
    return sorted(set(rows))


def borrower_addresses(session: Session, booking: Booking) -> list[str]:
    """The borrowing organisation as told of a decision: the person who asked and its admins."""
    admins = session.exec(
        select(User.email)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.organisation_id == booking.organisation_id, Membership.role == "admin")
    ).all()
    asker = session.get(User, booking.requested_by_id) if booking.requested_by_id else None
    return sorted(set(admins) | ({asker.email} if asker else set()))


def _tell(session: Session, addresses: list[str], subject: str, body: str) -> None:
    for address in addresses:
        queue_mail(session, address, subject, body)


def _decision_mail(session: Session, booking: Booking, resource: Resource, owner: Organisation, link: Link) -> None:
    when = span_text(booking.starts_at, booking.ends_at)
    names = {"owner": owner.name, "resource": resource.name, "when": when, "link": link(booking.id)}
    if booking.status == "accepted":
        subject = gettext("%(owner)s accepted your request for %(resource)s", **names)
        body = gettext("%(owner)s accepted your request for %(resource)s, %(when)s.", **names)
    elif booking.superseded_by_id:
        subject = gettext("%(owner)s declined your request for %(resource)s", **names)
        body = gettext(
            "Your request for %(resource)s, %(when)s, was declined: %(owner)s accepted another request for a time "
            "that overlaps it. Choose another time on the resource's calendar.",
            **names,
        )
    else:
        subject = gettext("%(owner)s declined your request for %(resource)s", **names)
        body = gettext("%(owner)s declined your request for %(resource)s, %(when)s.", **names)
    if booking.decision_note:
        body += "\n\n" + gettext("Their note: %(note)s", note=booking.decision_note)
    body += "\n\n" + gettext("The booking: %(link)s", link=names["link"])
    _tell(session, borrower_addresses(session, booking), subject, body)


# --- actions ----------------------------------------------------------------------------------


def request_booking(
    session: Session, principal: Principal | None, resource: Resource, data: BookingInput, *, link: Link = booking_path
) -> Booking:
    """Ask, in an organisation's name, to borrow the resource; refused (409) when the time overlaps an accepted
    booking, whatever arrives at the same moment."""
    if (refusal := why_not_request(principal, resource)) is not None:
        raise DomainError("", refusal, 403)
    assert principal is not None
    if not can(principal, "booking.request", Borrowing(resource, data.organisation_id)):
        raise DomainError(
            "organisation_id", _("Ask in the name of an organisation you belong to, other than the owner."), 403
        )
    if (refusal := _time_refusal(data.starts_at, data.ends_at, utcnow())) is not None:
        raise refusal
    if (refusal := head_count_refusal(resource, data.head_count)) is not None:
        raise refusal
    resource_id = resource.id
    session.commit()  # end the reading transaction: the lock below is the first statement of the writing one
    lock_resource(session, resource_id)
    resource = session.get(Resource, resource_id, populate_existing=True)
    if not resource.active:
        session.rollback()
        raise DomainError("", _("This resource is not lent at the moment."), 409)
    if (clash := accepted_overlap(session, resource_id, data.starts_at, data.ends_at)) is not None:
        when = span_text(clash.starts_at, clash.ends_at)
        session.rollback()
        raise DomainError(
            "starts_at",
            _("This time overlaps a booking already accepted (%(when)s). Choose another time."),
            409,
            when=when,
        )
    check_rate(session, "booking.request", f"user:{principal.id}")
    booking = Booking(
        resource_id=resource_id,
        organisation_id=data.organisation_id,
        requested_by_id=principal.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        head_count=data.head_count if resource.kind == "room" else None,
        purpose=data.purpose,
    )
    session.add(booking)
    session.flush()
    ledger.append(
        session,
        actor_id=principal.id,
        action="booking.requested",
        subject_kind="booking",
        subject_id=booking.id,
        payload={
            "resource": resource_id,
            "organisation": booking.organisation_id,
            "starts_at": booking.starts_at.isoformat(),
            "ends_at": booking.ends_at.isoformat(),
            "head_count": booking.head_count,
        },
    )
    borrower = session.get(Organisation, booking.organisation_id)
    names = {
        "organisation": borrower.name,
        "resource": resource.name,
        "when": span_text(booking.starts_at, booking.ends_at),
        "link": link(booking.id),
    }
    _tell(
        session,
        manager_addresses(session, resource.organisation_id),
        gettext("%(organisation)s asks to borrow %(resource)s", **names),
        gettext(
            "%(organisation)s asks to borrow %(resource)s, %(when)s. Accept or decline the request here:\n\n%(link)s",
            **names,
        ),
    )
    session.commit()
    return booking


def _locked_booking(session: Session, booking: Booking) -> tuple[Booking, Resource]:
    """The booking and its resource as they are once the resource's lock is held."""
    booking_id, resource_id = booking.id, booking.resource_id
    session.commit()
    lock_resource(session, resource_id)
    return (
        session.get(Booking, booking_id, populate_existing=True),
        session.get(Resource, resource_id, populate_existing=True),
    )


def _refuse(session: Session, error: DomainError) -> DomainError:
    session.rollback()
    return error


def decide_booking(
    session: Session, principal: Principal | None, booking: Booking, data: DecisionInput, *, link: Link = booking_path
) -> tuple[Booking, list[Booking]]:
    """Accept or decline a request, with a note; accepting declines the requests that overlap it. Returns the
    booking and those declined with it."""
    if principal is None or not can(principal, "booking.decide", sides_of(session, booking)):
        raise DomainError("", _("Only the admins of the organisation that lends it decide on a request."), 403)
    booking, resource = _locked_booking(session, booking)
    now = utcnow()
    if booking.status != "requested":
        raise _refuse(session, DomainError("", _("This request has already been decided or withdrawn."), 409))
    superseded: list[Booking] = []
    if data.decision == "accept":
        if booking.starts_at <= now:
            raise _refuse(
                session, DomainError("", _("The time of this request has come: it can no longer be accepted."), 409)
            )
        clash = accepted_overlap(session, resource.id, booking.starts_at, booking.ends_at, besides=booking.id)
        if clash is not None:
            when = span_text(clash.starts_at, clash.ends_at)
            raise _refuse(
                session,
                DomainError("", _("It overlaps a booking already accepted (%(when)s): decline it."), 409, when=when),
            )
        superseded = list(
            session.exec(
                select(Booking).where(
                    Booking.resource_id == resource.id,
                    Booking.status == "requested",
                    Booking.id != booking.id,
                    col(Booking.starts_at) < booking.ends_at,
                    col(Booking.ends_at) > booking.starts_at,
                )
            ).all()
        )
    booking.status = "accepted" if data.decision == "accept" else "declined"
    booking.decided_by_id, booking.decided_at, booking.decision_note = principal.id, now, data.note
    session.add(booking)
    ledger.append(
        session,
        actor_id=principal.id,
        action=f"booking.{booking.status}",
        subject_kind="booking",
        subject_id=booking.id,
        payload={"resource": resource.id, "organisation": booking.organisation_id},
    )
    for other in superseded:
        other.status, other.decided_at, other.superseded_by_id = "declined", now, booking.id
        session.add(other)
        ledger.append(
            session,
            actor_id=principal.id,
            action="booking.declined",
            subject_kind="booking",
            subject_id=other.id,
            payload={"resource": resource.id, "organisation": other.organisation_id, "superseded_by": booking.id},
        )
    owner = session.get(Organisation, resource.organisation_id)
    for decided in (booking, *superseded):
        _decision_mail(session, decided, resource, owner, link)
    session.commit()
    return booking, superseded


def cancel_booking(
    session: Session, principal: Principal | None, booking: Booking, data: CancelInput, *, link: Link = booking_path
) -> Booking:
    """Cancel with a reason: the borrower its request or booking, the owner a booking it accepted. The other side
    is told."""
    side = cancel_side(principal, sides_of(session, booking))
    if side is None:
        raise DomainError(
            "", _("Only the two organisations' admins, or the person who asked, can cancel a booking."), 403
        )
    booking, resource = _locked_booking(session, booking)
    if booking.status not in ("requested", "accepted"):
        raise _refuse(session, DomainError("", _("This booking has already been declined or cancelled."), 409))
    if booking.ends_at <= utcnow():
        raise _refuse(session, DomainError("", _("This booking is over: there is nothing to cancel."), 409))
    if booking.status == "requested" and side == "owner":
        raise _refuse(session, DomainError("", _("Decline the request instead: it has not been accepted."), 409))
    by_borrower = side == "borrower"
    previous = booking.status
    booking.status, booking.cancelled_at, booking.cancelled_by_id = "cancelled", utcnow(), principal.id
    booking.cancelled_by_organisation_id = booking.organisation_id if by_borrower else resource.organisation_id
    booking.cancel_reason = data.reason
    session.add(booking)
    ledger.append(
        session,
        actor_id=principal.id,
        action="booking.cancelled",
        subject_kind="booking",
        subject_id=booking.id,
        payload={"resource": resource.id, "by": "borrower" if by_borrower else "owner", "was": previous},
    )
    borrower = session.get(Organisation, booking.organisation_id)
    owner = session.get(Organisation, resource.organisation_id)
    names = {
        "organisation": borrower.name,
        "owner": owner.name,
        "resource": resource.name,
        "when": span_text(booking.starts_at, booking.ends_at),
        "reason": data.reason,
        "link": link(booking.id),
    }
    if by_borrower:
        subject = (
            gettext("%(organisation)s withdrew its request for %(resource)s", **names)
            if previous == "requested"
            else gettext("%(organisation)s cancelled its booking of %(resource)s", **names)
        )
        recipients = manager_addresses(session, resource.organisation_id)
    else:
        subject = gettext("%(owner)s cancelled your booking of %(resource)s", **names)
        recipients = borrower_addresses(session, booking)
    body = gettext("%(resource)s, %(when)s: cancelled.\n\nReason: %(reason)s\n\nThe booking: %(link)s", **names)
    _tell(session, recipients, subject, body)
    session.commit()
    return booking
