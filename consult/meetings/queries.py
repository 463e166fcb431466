"""Which meetings are coming up for an organisation, a network, a working group or a municipality: the list that
every forum page shows and every calendar feed serves; and the reads the meeting pages need (never commit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from consult.meetings.rules import ORGANISER_ROLES, Candidate, Organising
from consult.models import (
    Booking,
    GroupDeclaration,
    Meeting,
    MeetingBreakout,
    Network,
    NetworkCoordinator,
    NetworkMembership,
    NetworkMunicipality,
    Organisation,
    Registration,
    Resource,
    User,
    WorkingGroup,
    utcnow,
)
from consult.permissions import Principal

PAST_PAGE_SIZE = 20
FEED_PAST = timedelta(days=90)  # a calendar feed keeps the recent past, so a subscribed calendar does not lose it


def _for_owner(query, organisation_id, network_id, group_id, municipality_id):
    if organisation_id is not None:
        query = query.where(Meeting.organisation_id == organisation_id)
    if network_id is not None:
        query = query.where(Meeting.network_id == network_id)
    if group_id is not None:
        query = query.where(Meeting.group_id == group_id)
    if municipality_id is not None:
        spanning = select(NetworkMunicipality.network_id).where(NetworkMunicipality.municipality_id == municipality_id)
        query = query.where(
            or_(
                Meeting.organisation_id == municipality_id,
                Meeting.municipality_id == municipality_id,
                col(Meeting.network_id).in_(spanning),
            )
        )
    return query


def upcoming_meetings(
    session: Session,
    *,
    organisation_id: int | None = None,
    network_id: int | None = None,
    group_id: int | None = None,
    municipality_id: int | None = None,
    limit: int | None = 20,
) -> list[Meeting]:
    """Published meetings that have not ended, soonest first, narrowed by whichever owner is given.

    A municipality's meetings are those it organises, those for its organisations, and those of networks spanning it.
    """
    query = select(Meeting).where(
        col(Meeting.published_at).is_not(None), col(Meeting.cancelled_at).is_(None), Meeting.ends_at >= utcnow()
    )
    query = _for_owner(query, organisation_id, network_id, group_id, municipality_id)
    query = query.order_by(col(Meeting.starts_at), col(Meeting.id))
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def calendar_meetings(
    session: Session,
    *,
    organisation_id: int | None = None,
    network_id: int | None = None,
    group_id: int | None = None,
    municipality_id: int | None = None,
    limit: int = 500,
) -> list[Meeting]:
    """What a calendar feed serves: published meetings from the last 90 days on, cancelled ones included (marked so,
    so a subscribed calendar drops them), soonest first."""
    query = select(Meeting).where(col(Meeting.published_at).is_not(None), Meeting.ends_at >= utcnow() - FEED_PAST)
    query = _for_owner(query, organisation_id, network_id, group_id, municipality_id)
    return list(session.exec(query.order_by(col(Meeting.starts_at), col(Meeting.id)).limit(limit)).all())


def past_meetings(session: Session, page: int = 1) -> tuple[list[Meeting], int]:
    """Published meetings that have ended, latest first, a page at a time, with their total."""
    where = (col(Meeting.published_at).is_not(None), Meeting.ends_at < utcnow())
    total = session.exec(select(func.count()).select_from(Meeting).where(*where)).one()
    rows = session.exec(
        select(Meeting)
        .where(*where)
        .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
        .offset((page - 1) * PAST_PAGE_SIZE)
        .limit(PAST_PAGE_SIZE)
    ).all()
    return list(rows), total


def drafts_of(session: Session, principal: Principal | None) -> list[Meeting]:
    """Unpublished meetings this person may see: those of organisations they organise for, or that they created."""
    if principal is None:
        return []
    organising = [org for org, role in principal.roles.items() if role in ORGANISER_ROLES]
    query = select(Meeting).where(col(Meeting.published_at).is_(None), Meeting.ends_at >= utcnow())
    if not principal.is_admin:
        query = query.where(or_(col(Meeting.organisation_id).in_(organising), Meeting.created_by_id == principal.id))
    return list(session.exec(query.order_by(col(Meeting.starts_at))).all())


def get_meeting(session: Session, slug: str) -> Meeting | None:
    return session.exec(select(Meeting).where(Meeting.slug == slug)).first()


def organisers(session: Session, meetings: list[Meeting]) -> dict[int, Organisation]:
    ids = {m.organisation_id for m in meetings}
    if not ids:
        return {}
    return {o.id: o for o in session.exec(select(Organisation).where(col(Organisation.id).in_(ids))).all()}


# --- who organises, who may come -------------------------------------------------------------


def coordinates(session: Session, user_id: int, network_id: int | None, group_id: int | None) -> bool:
    """The person coordinates this network, or this working group (its coordinator, or an admin or official of the
    organisation that runs it)."""
    if network_id is not None:
        found = session.get(NetworkCoordinator, (network_id, user_id))
        if found is not None:
            return True
    if group_id is not None:
        group = session.get(WorkingGroup, group_id)
        if group is not None and group.coordinator_id == user_id:
            return True
    return False


def organising(session: Session, principal: Principal | None, meeting: Meeting) -> Organising:
    user_id = principal.id if principal is not None else 0
    return Organising(meeting.organisation_id, coordinates(session, user_id, meeting.network_id, meeting.group_id))


def audience_admits(session: Session, meeting: Meeting, organisation_id: int | None, user_id: int) -> bool:
    """Whether the meeting's audience admits this organisation (or, for None, this person on their own).

    The organiser's own people always may come. A municipality's meeting is for any verified organisation: nothing
    links an NGO to a municipality, so the audience cannot be narrower. People on their own register only for a
    meeting open to everyone, a network's meeting (its coordinators) or a working group's (its individual members and
    its coordinator)."""
    if organisation_id is not None and organisation_id == meeting.organisation_id:
        return True
    if meeting.audience == "everyone":
        return True
    if meeting.audience == "municipality":
        if organisation_id is None:
            return False
        organisation = session.get(Organisation, organisation_id)
        return organisation is not None and organisation.verified_at is not None
    if meeting.audience == "network" and meeting.network_id is not None:
        if organisation_id is None:
            return session.get(NetworkCoordinator, (meeting.network_id, user_id)) is not None
        return (
            session.exec(
                select(NetworkMembership.id).where(
                    NetworkMembership.network_id == meeting.network_id,
                    NetworkMembership.organisation_id == organisation_id,
                    NetworkMembership.status == "admitted",
                )
            ).first()
            is not None
        )
    if meeting.audience == "group" and meeting.group_id is not None:
        accepted = select(GroupDeclaration.id).where(
            GroupDeclaration.group_id == meeting.group_id, GroupDeclaration.status == "accepted"
        )
        if organisation_id is None:
            group = session.get(WorkingGroup, meeting.group_id)
            if group is not None and group.coordinator_id == user_id:
                return True
            accepted = accepted.where(GroupDeclaration.kind == "individual", GroupDeclaration.user_id == user_id)
        else:
            accepted = accepted.where(
                GroupDeclaration.kind == "organisation", GroupDeclaration.organisation_id == organisation_id
            )
        return session.exec(accepted).first() is not None
    return False


@dataclass(frozen=True)
class RegistrantOption:
    value: str  # the organisation's id, or "" for the person themself
    name: str
    admitted: bool


def registrant_options(session: Session, principal: Principal | None, meeting: Meeting) -> list[RegistrantOption]:
    """On whose behalf this person may register: each organisation they act for, then themself, each with whether
    the meeting's audience admits it (only those admitted are offered)."""
    if principal is None:
        return []
    options = []
    if principal.roles:
        rows = session.exec(
            select(Organisation).where(col(Organisation.id).in_(list(principal.roles))).order_by(Organisation.name)
        ).all()
        for organisation in rows:
            admitted = audience_admits(session, meeting, organisation.id, principal.id)
            options.append(RegistrantOption(str(organisation.id), organisation.name, admitted))
    options.append(
        RegistrantOption("", principal.user.display_name, audience_admits(session, meeting, None, principal.id))
    )
    return options


def candidate(session: Session, principal: Principal, meeting: Meeting, organisation_id: int | None) -> Candidate:
    return Candidate(organisation_id, audience_admits(session, meeting, organisation_id, principal.id))


# --- the meeting's parts ---------------------------------------------------------------------


def breakouts_of(session: Session, meeting_id: int) -> list[MeetingBreakout]:
    query = select(MeetingBreakout).where(MeetingBreakout.meeting_id == meeting_id)
    rows = session.exec(
        query.order_by(col(MeetingBreakout.position), col(MeetingBreakout.id)).execution_options(populate_existing=True)
    )
    return list(rows.all())


def venue_of(session: Session, meeting: Meeting) -> tuple[Booking | None, Resource | None]:
    if meeting.booking_id is None:
        return None, None
    booking = session.get(Booking, meeting.booking_id)
    return booking, session.get(Resource, booking.resource_id) if booking else None


def venue_text(session: Session, meeting: Meeting) -> str:
    """Where the meeting is, in one line (a calendar's LOCATION): the lent room and its address, or the address."""
    _booking, room = venue_of(session, meeting)
    if room is not None:
        return ", ".join(part for part in (room.name, room.address) if part)
    return meeting.venue_address


def usable_bookings(session: Session, organisation_ids: list[int]) -> list[tuple[Booking, Resource, Organisation]]:
    """Accepted bookings of a room by these organisations that have not ended: what can be a meeting's venue."""
    if not organisation_ids:
        return []
    rows = session.exec(
        select(Booking, Resource, Organisation)
        .join(Resource, col(Resource.id) == Booking.resource_id)
        .join(Organisation, col(Organisation.id) == Booking.organisation_id)
        .where(
            col(Booking.organisation_id).in_(organisation_ids),
            Booking.status == "accepted",
            Resource.kind == "room",
            Booking.ends_at > utcnow(),
        )
        .order_by(col(Booking.starts_at))
    ).all()
    return list(rows)


def acting_for(session: Session, principal: Principal) -> list[Organisation]:
    """The organisations this person acts for (any role): who may be named as a meeting's organiser."""
    if not principal.roles:
        return []
    query = select(Organisation).where(col(Organisation.id).in_(list(principal.roles)))
    return list(session.exec(query.order_by(Organisation.name)).all())


def coordinated_networks(session: Session, principal: Principal) -> list[Network]:
    query = select(Network)
    if not principal.is_admin:
        mine = select(NetworkCoordinator.network_id).where(NetworkCoordinator.user_id == principal.id)
        query = query.where(col(Network.id).in_(mine))
    return list(session.exec(query.order_by(Network.name)).all())


def coordinated_groups(session: Session, principal: Principal) -> list[WorkingGroup]:
    query = select(WorkingGroup)
    if not principal.is_admin:
        query = query.where(WorkingGroup.coordinator_id == principal.id)
    return list(session.exec(query.order_by(WorkingGroup.name)).all())


def municipalities(session: Session) -> list[Organisation]:
    query = select(Organisation).where(Organisation.kind == "municipality").order_by(Organisation.name)
    return list(session.exec(query).all())


def audience_name(session: Session, meeting: Meeting) -> str:
    """The municipality, network or working group the audience names ("" for everyone)."""
    if meeting.audience == "municipality" and meeting.municipality_id:
        found = session.get(Organisation, meeting.municipality_id)
    elif meeting.audience == "network" and meeting.network_id:
        found = session.get(Network, meeting.network_id)
    elif meeting.audience == "group" and meeting.group_id:
        found = session.get(WorkingGroup, meeting.group_id)
    else:
        return ""
    return found.name if found else ""


# --- registrations ---------------------------------------------------------------------------


@dataclass
class RegistrationRow:
    registration: Registration
    name: str  # the organisation's name, or the person's
    breakout: str = ""
    position: int | None = None  # on the waiting list
    participants: list[str] = field(default_factory=list)


def live_registrations(session: Session, meeting_id: int) -> list[RegistrationRow]:
    """Confirmed then waiting registrations, in the waiting list's order, with who registered and their group."""
    rows = session.exec(
        select(Registration, Organisation.name, User.display_name, MeetingBreakout.name)
        .join(Organisation, col(Organisation.id) == Registration.organisation_id, isouter=True)
        .join(User, col(User.id) == Registration.registered_by_id, isouter=True)
        .join(MeetingBreakout, col(MeetingBreakout.id) == Registration.breakout_id, isouter=True)
        .where(Registration.meeting_id == meeting_id, Registration.status != "cancelled")
        .order_by(col(Registration.queued_at), col(Registration.id))
        .execution_options(populate_existing=True)
    ).all()
    confirmed, waiting = [], []
    for registration, organisation, person, breakout in rows:
        row = RegistrationRow(
            registration, organisation or person or "", breakout or "", participants=names(registration.participants)
        )
        (confirmed if registration.status == "confirmed" else waiting).append(row)
    for place, row in enumerate(waiting, start=1):
        row.position = place
    return confirmed + waiting


def names(text: str) -> list[str]:
    """The participants' names: one a line, blank lines left out."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def mine(rows: list[RegistrationRow], principal: Principal | None) -> list[RegistrationRow]:
    """The reader's live registrations among the meeting's: their organisations', and their own."""
    if principal is None:
        return []
    return [
        row
        for row in rows
        if (row.registration.organisation_id in principal.roles)
        or (row.registration.organisation_id is None and row.registration.registered_by_id == principal.id)
    ]


@dataclass(frozen=True)
class Tally:
    name: str
    capacity: int | None
    confirmed: int  # people
    waiting: int  # people
    registrations: int


def tallies(meeting: Meeting, breakouts: list[MeetingBreakout], rows: list[RegistrationRow]) -> list[Tally]:
    """Head counts per breakout group, then the total: confirmed and waiting people."""
    result = []
    for breakout in breakouts:
        ours = [r.registration for r in rows if r.registration.breakout_id == breakout.id]
        result.append(_tally(breakout.name, breakout.capacity, ours))
    result.append(_tally("", meeting.capacity, [r.registration for r in rows]))
    return result


def _tally(name: str, capacity: int | None, registrations: list[Registration]) -> Tally:
    confirmed = sum(r.head_count for r in registrations if r.status == "confirmed")
    waiting = sum(r.head_count for r in registrations if r.status == "waitlisted")
    return Tally(name, capacity, confirmed, waiting, len(registrations))


def registration_of(session: Session, meeting: Meeting, registration_id: int) -> Registration | None:
    found = session.get(Registration, registration_id, populate_existing=True)
    return found if found is not None and found.meeting_id == meeting.id else None
