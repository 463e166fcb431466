"""Meetings, trainings, forums and congresses: planning, editing, publishing and cancelling.

The forms' input models are in inputs.py; registrations and the waiting list in registrations.py, the seats in
seats.py; attendance and minutes in after.py; points of the minutes entered into a consultation in points.py.
Importing this module registers the feature's rules (prefix "meeting").
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from consult import ledger, permissions
from consult.errors import DomainError
from consult.i18n import _
from consult.markdown import render_markdown
from consult.meetings import notices, queries, seats
from consult.meetings.inputs import ONLY_ORGANISERS, RESERVED_SLUGS, BreakoutRow, CancelInput, MeetingInput
from consult.meetings.rules import Organising, rules
from consult.models import (
    Booking,
    Meeting,
    MeetingBreakout,
    Network,
    Organisation,
    Registration,
    Resource,
    WorkingGroup,
    utcnow,
)
from consult.permissions import Principal, can
from consult.slugs import unique_slug

permissions.register_rules("meeting", rules)

# --- checks shared by planning and editing ---------------------------------------------------


def require_organiser(session: Session, principal: Principal | None, meeting: Meeting) -> Principal:
    if principal is None or not can(principal, "meeting.organise", queries.organising(session, principal, meeting)):
        raise DomainError("", ONLY_ORGANISERS, 403)
    return principal


def _organiser(session: Session, principal: Principal, data: MeetingInput) -> Organisation:
    """The organising organisation, which the person acts for, and whom the person may organise for."""
    organisation = session.get(Organisation, data.organisation_id)
    if organisation is None or (data.organisation_id not in principal.roles and not principal.is_admin):
        raise DomainError("organisation_id", _("Choose an organisation you act for."), 403)
    network_id, group_id = _audience_target(session, data)
    coordinates = queries.coordinates(session, principal.id, network_id, group_id)
    if not can(principal, "meeting.organise", Organising(organisation.id, coordinates)):
        raise DomainError("organisation_id", ONLY_ORGANISERS, 403)
    return organisation


def _audience_target(session: Session, data: MeetingInput) -> tuple[int | None, int | None]:
    """The network and working group the audience names (checked to exist); the municipality is checked too."""
    if data.audience == "municipality":
        municipality = session.get(Organisation, data.municipality_id)
        if municipality is None or municipality.kind != "municipality":
            raise DomainError("municipality_id", _("Choose the municipality."))
    if data.audience == "network":
        if session.get(Network, data.network_id) is None:
            raise DomainError("network_id", _("Choose the network."))
        return data.network_id, None
    if data.audience == "group":
        if session.get(WorkingGroup, data.group_id) is None:
            raise DomainError("group_id", _("Choose the working group."))
        return None, data.group_id
    return None, None


def _venue(session: Session, data: MeetingInput) -> tuple[Booking | None, Resource | None]:
    """An accepted booking, by the organiser, of a room, for a time that holds the meeting's; or no booking."""
    if data.venue != "room":
        return None, None
    booking = session.get(Booking, data.booking_id)
    room = session.get(Resource, booking.resource_id) if booking else None
    if (
        booking is None
        or room is None
        or room.kind != "room"
        or booking.status != "accepted"
        or booking.organisation_id != data.organisation_id
        or booking.ends_at <= utcnow()
    ):
        raise DomainError("booking_id", _("Choose a room the organiser has booked, with the booking accepted."))
    if data.starts_at < booking.starts_at or data.ends_at > booking.ends_at:
        raise DomainError("booking_id", _("The meeting must fit within the time the room is booked for."))
    if data.capacity and room.capacity and data.capacity > room.capacity:
        raise DomainError(
            "capacity", _("The room holds %(num)s people: give at most that many places."), num=room.capacity
        )
    return booking, room


def _apply(meeting: Meeting, data: MeetingInput, booking: Booking | None, room: Resource | None) -> None:
    meeting.title = data.title.strip()
    meeting.kind = data.kind
    meeting.organisation_id = data.organisation_id
    meeting.starts_at, meeting.ends_at = data.starts_at, data.ends_at
    meeting.registration_closes_at = data.registration_closes_at
    meeting.booking_id = booking.id if booking else None
    meeting.venue_address = room.address if room else data.venue_address
    meeting.online_url = data.online_url
    # A room holds so many people: left empty, the meeting's places are the room's.
    meeting.capacity = data.capacity if data.capacity or room is None else room.capacity
    meeting.audience = data.audience
    meeting.municipality_id = data.municipality_id if data.audience == "municipality" else None
    meeting.network_id = data.network_id if data.audience == "network" else None
    meeting.group_id = data.group_id if data.audience == "group" else None
    meeting.agenda = data.agenda
    meeting.agenda_html = render_markdown(data.agenda)


def _unique_slug(session: Session, title: str) -> str:
    return unique_slug(session, Meeting, title, fallback="spotkanie", reserved=RESERVED_SLUGS)


def _summary(meeting: Meeting, breakouts: list[MeetingBreakout]) -> dict:
    return {
        "slug": meeting.slug,
        "title": meeting.title,
        "kind": meeting.kind,
        "organisation": meeting.organisation_id,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "capacity": meeting.capacity,
        "audience": meeting.audience,
        "booking": meeting.booking_id,
        "breakouts": [[b.name, b.capacity] for b in breakouts],
    }


# --- actions ------------------------------------------------------------------------------


def create_meeting(session: Session, principal: Principal | None, data: MeetingInput) -> Meeting:
    """A draft meeting with its breakout groups; only its organisers see it until it is published."""
    if principal is None:
        raise DomainError("", ONLY_ORGANISERS, 403)
    _organiser(session, principal, data)
    if data.starts_at <= utcnow():
        raise DomainError("starts_at", _("The meeting must start in the future."))
    booking, room = _venue(session, data)
    if any(row.ref is not None for row in data.rows()):
        raise DomainError("breakouts", _("Choose the breakout groups again."))
    meeting = Meeting(
        slug=_unique_slug(session, data.title),
        title="",
        created_by_id=principal.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
    )
    _apply(meeting, data, booking, room)
    session.add(meeting)
    try:
        session.flush()
    except IntegrityError as error:  # the same title typed twice at once
        session.rollback()
        raise DomainError("title", _("Another meeting was just given this address: save again."), 409) from error
    breakouts = [
        MeetingBreakout(meeting_id=meeting.id, position=i, name=row.name, capacity=row.capacity)
        for i, row in enumerate(data.rows())
    ]
    session.add_all(breakouts)
    session.flush()
    ledger.append(
        session,
        actor_id=principal.id,
        action="meeting.created",
        subject_kind="meeting",
        subject_id=meeting.id,
        payload=_summary(meeting, breakouts),
    )
    session.commit()
    return meeting


def _edit_breakouts(session: Session, meeting: Meeting, rows: list[BreakoutRow]) -> list[MeetingBreakout]:
    """Rename, resize, add and remove groups; a group cannot shrink below the people in it or go while it has any."""
    current = {b.id: b for b in queries.breakouts_of(session, meeting.id)}
    kept: list[MeetingBreakout] = []
    for row in rows:
        if row.ref is not None and row.ref not in current:
            raise DomainError("breakouts", _("Choose the breakout groups again."))
        group = current.pop(row.ref) if row.ref is not None else MeetingBreakout(meeting_id=meeting.id, name=row.name)
        if row.capacity is not None and group.seats_taken > row.capacity:
            raise DomainError(
                "breakouts",
                _("%(num)s people are already in the group “%(name)s”: give it at least that many places."),
                409,
                num=group.seats_taken,
                name=group.name,
            )
        group.name, group.capacity, group.position = row.name, row.capacity, len(kept)
        session.add(group)
        kept.append(group)
    for group in current.values():
        taken = session.exec(
            select(Registration.id).where(Registration.breakout_id == group.id, Registration.status != "cancelled")
        ).first()
        if taken is not None:
            raise DomainError(
                "breakouts",
                _("The group “%(name)s” has registrations: it cannot be removed."),
                409,
                name=group.name,
            )
        session.delete(group)
    session.flush()
    return kept


def edit_meeting(
    session: Session, principal: Principal | None, meeting: Meeting, data: MeetingInput, link: str
) -> Meeting:
    """Change a meeting before it starts. Places cannot drop below the people registered; more places promote the
    waiting list; a changed time or place of a published meeting is e-mailed to those registered."""
    principal = require_organiser(session, principal, meeting)
    _organiser(session, principal, data)
    if meeting.cancelled_at is not None:
        raise DomainError("", _("This meeting was cancelled."), 409)
    if meeting.starts_at <= utcnow():
        raise DomainError("", _("The meeting has started: only its attendance and minutes can be entered now."), 409)
    if data.starts_at != meeting.starts_at and data.starts_at <= utcnow():
        raise DomainError("starts_at", _("The meeting must start in the future."))
    booking, room = _venue(session, data)
    before = (meeting.starts_at, meeting.ends_at, queries.venue_text(session, meeting))
    session.commit()  # end the reads: the seats are changed under the meeting's lock
    seats.lock_meeting(session, meeting.id)
    meeting = session.get(Meeting, meeting.id, populate_existing=True)
    _apply(meeting, data, booking, room)
    if meeting.capacity is not None and meeting.seats_taken > meeting.capacity:
        raise DomainError(
            "capacity",
            _("%(num)s people are already registered: give at least that many places."),
            409,
            num=meeting.seats_taken,
        )
    breakouts = _edit_breakouts(session, meeting, data.rows())
    session.add(meeting)
    session.flush()
    ledger.append(
        session,
        actor_id=principal.id,
        action="meeting.changed",
        subject_kind="meeting",
        subject_id=meeting.id,
        payload=_summary(meeting, breakouts),
    )
    seats.promote_waiting(session, meeting.id, principal.id, link)
    after = (meeting.starts_at, meeting.ends_at, queries.venue_text(session, meeting))
    if meeting.published_at is not None and after != before:
        notices.changed(session, meeting, after[2], link)
    session.commit()
    return meeting


def publish_meeting(session: Session, principal: Principal | None, meeting: Meeting) -> Meeting:
    principal = require_organiser(session, principal, meeting)
    if meeting.published_at is not None:
        raise DomainError("", _("This meeting is already published."), 409)
    if meeting.starts_at <= utcnow():
        raise DomainError("", _("The meeting's start has passed: change its time before publishing it."), 409)
    meeting.published_at = utcnow()
    session.add(meeting)
    ledger.append(
        session, actor_id=principal.id, action="meeting.published", subject_kind="meeting", subject_id=meeting.id
    )
    session.commit()
    return meeting


def cancel_meeting(
    session: Session, principal: Principal | None, meeting: Meeting, data: CancelInput, link: str
) -> int:
    """Cancel the meeting with a public reason; everyone registered (or waiting) is told by e-mail. Their number."""
    principal = require_organiser(session, principal, meeting)
    if meeting.cancelled_at is not None:
        raise DomainError("", _("This meeting was cancelled."), 409)
    if meeting.ends_at <= utcnow():
        raise DomainError("", _("The meeting has taken place: it can no longer be cancelled."), 409)
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = data.reason.strip()
    session.add(meeting)
    told = notices.cancelled(session, meeting, link) if meeting.published_at is not None else 0
    ledger.append(
        session,
        actor_id=principal.id,
        action="meeting.cancelled",
        subject_kind="meeting",
        subject_id=meeting.id,
        payload={"reason_sha256": ledger.sha256_hex(meeting.cancel_reason), "told": told},
    )
    session.commit()
    return told
