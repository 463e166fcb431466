"""The demo's rooms and equipment: Fundacja Kultury „Most” lends its conference room and a projector; the sports
club has the room booked for an evening next week, and the seniors have asked for it (undecided). Idempotent:
`consult.demo` calls it after the people and organisations exist; the HTML validity test does too."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session, select

from consult.models import Membership, Organisation, Resource, User, utcnow
from consult.permissions import Principal
from consult.resources.actions import ResourceInput, create_resource
from consult.resources.bookings import BookingInput, DecisionInput, decide_booking, request_booking
from consult.resources.queries import ZONE

LENDER, CLUB, SENIORS = (
    "Fundacja Kultury „Most”",
    "Ludowy Klub Sportowy „Orzeł” Wierzbno",
    "Stowarzyszenie Seniorów „Złota Jesień”",
)
ROOM = ResourceInput(
    kind="room",
    name="Sala konferencyjna Fundacji „Most”",
    address="ul. Kościuszki 12, Wierzbno",
    capacity=40,
    step_free=True,
    hearing_loop=True,
    equipment="rzutnik, ekran, nagłośnienie, 40 krzeseł, 8 stołów, aneks kuchenny",
    description="Parter, wejście od podwórza bez progów. Klucze odbiera się w sekretariacie fundacji (pn–pt 9–16).",
)
PROJECTOR = ResourceInput(
    kind="equipment",
    name="Rzutnik multimedialny z ekranem",
    address="ul. Kościuszki 12, Wierzbno (sekretariat)",
    description="Rzutnik Full HD, ekran 2 m na statywie, przedłużacz. Do odebrania i zwrotu w sekretariacie.",
)


def _organisation(session: Session, name: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.name == name)).first()


def _admin(session: Session, organisation: Organisation) -> Principal:
    user = session.exec(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation.id, Membership.role == "admin")
        .order_by(Membership.id)
    ).first()
    roles = session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id))
    return Principal(user=user, roles=dict(roles.all()))


def _evening(days: int, hour: int) -> tuple[datetime, datetime]:
    """`days` from today at `hour`:00 Warsaw time, for three hours."""
    day = (utcnow().astimezone(ZONE) + timedelta(days=days)).date()
    start = datetime.combine(day, time(hour), tzinfo=ZONE)
    return start, start + timedelta(hours=3)


def load_demo_resources(session: Session) -> Resource | None:
    """The room and the projector, the club's accepted booking and the seniors' request; None without the demo."""
    lender, club, seniors = (_organisation(session, name) for name in (LENDER, CLUB, SENIORS))
    if lender is None or club is None or seniors is None:
        return None
    found = session.exec(select(Resource).where(Resource.organisation_id == lender.id, Resource.name == ROOM.name))
    if (room := found.first()) is not None:
        return room
    owner = _admin(session, lender)
    room = create_resource(session, owner, lender, ROOM)
    create_resource(session, owner, lender, PROJECTOR)
    starts_at, ends_at = _evening(8, 17)
    booking = request_booking(
        session,
        _admin(session, club),
        room,
        BookingInput(
            organisation_id=club.id,
            starts_at=starts_at,
            ends_at=ends_at,
            head_count=25,
            purpose="Walne zebranie członków klubu.",
        ),
    )
    note = DecisionInput(decision="accept", note="Klucze do odebrania w sekretariacie do 16:00.")
    decide_booking(session, owner, booking, note)
    starts_at, ends_at = _evening(15, 10)
    request_booking(
        session,
        _admin(session, seniors),
        room,
        BookingInput(
            organisation_id=seniors.id,
            starts_at=starts_at,
            ends_at=ends_at,
            head_count=30,
            purpose="Warsztaty z bezpieczeństwa w sieci dla seniorów.",
        ),
    )
    return room
