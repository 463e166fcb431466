"""What the resources feature lets others read: a resource's calendar of accepted bookings, the times written out in
Polish, and the bookings a meeting can take as its venue (read by the meetings feature)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval
from sqlalchemy import or_
from sqlmodel import Session, col, select

from consult import i18n
from consult.models import Booking, Meeting, Organisation, Resource, utcnow

ZONE = ZoneInfo("Europe/Warsaw")
CALENDAR_WEEKS = 4
CALENDAR_REACH = timedelta(days=730)  # how far back or ahead the calendar may be paged


# --- times written out -------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(ZONE)


def _day(day: date) -> str:
    locale = i18n.current_locale.get()
    text = format_date(day, "EEEE, d MMMM y", locale=locale)
    return text + (" r." if locale == "pl" else "")


def span(starts_at: datetime, ends_at: datetime) -> tuple[str, str]:
    """The start and the end of a booking as read in Warsaw: the end is its hour alone when on the same day
    ("poniedziałek, 7 grudnia 2026 r., 10:00", "12:00")."""
    start, end = _local(starts_at), _local(ends_at)
    first = f"{_day(start.date())}, {start:%H:%M}"
    if end.date() == start.date():
        return first, f"{end:%H:%M}"
    return first, f"{_day(end.date())}, {end:%H:%M}"


def span_text(starts_at: datetime, ends_at: datetime) -> str:
    """A booking's time as one line (in e-mails and messages)."""
    return " – ".join(span(starts_at, ends_at))


# --- the calendar ------------------------------------------------------------------------------


@dataclass
class CalendarEntry:
    booking: Booking
    borrower: Organisation
    start_text: str
    end_text: str
    meeting: tuple[str, str] | None = None  # the slug and title of the meeting held there


@dataclass
class Week:
    monday: date
    label: str
    entries: list[CalendarEntry] = field(default_factory=list)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def today() -> date:
    return _local(utcnow()).date()


def calendar_start(requested: str | None) -> date:
    """The Monday the calendar starts at: the week of ?from= (YYYY-MM-DD) when it is within reach, else this week."""
    this_week = monday_of(today())
    try:
        day = date.fromisoformat(requested or "")
    except ValueError:
        return this_week
    if abs(day - this_week) > CALENDAR_REACH:
        return this_week
    return monday_of(day)


def _midnight(day: date) -> datetime:
    """The start of a day in Warsaw, in UTC (23 or 25 hours after the day before across the DST changes)."""
    return datetime.combine(day, time(0), tzinfo=ZONE).astimezone(UTC)


def calendar(session: Session, resource: Resource, first_monday: date, weeks: int = CALENDAR_WEEKS) -> list[Week]:
    """The accepted bookings of `weeks` weeks from `first_monday`, week by week (a booking over several weeks is in
    each); with the meeting held there, when a published meeting takes the booking as its venue. Two queries."""
    begin, end = _midnight(first_monday), _midnight(first_monday + timedelta(weeks=weeks))
    rows = session.exec(
        select(Booking, Organisation)
        .join(Organisation, col(Organisation.id) == Booking.organisation_id)
        .where(
            Booking.resource_id == resource.id,
            Booking.status == "accepted",
            col(Booking.starts_at) < end,
            col(Booking.ends_at) > begin,
        )
        .order_by(col(Booking.starts_at), col(Booking.id))
    ).all()
    meetings = meetings_held(session, [booking.id for booking, _ in rows])
    locale = i18n.current_locale.get()
    calendar_weeks = []
    for n in range(weeks):
        monday = first_monday + timedelta(weeks=n)
        week_begin, week_end = _midnight(monday), _midnight(monday + timedelta(weeks=1))
        label = format_interval(monday, monday + timedelta(days=6), "yMMMMd", locale=locale)
        week = Week(monday, label)
        for booking, borrower in rows:
            if _aware(booking.starts_at) < week_end and _aware(booking.ends_at) > week_begin:
                start_text, end_text = span(booking.starts_at, booking.ends_at)
                week.entries.append(CalendarEntry(booking, borrower, start_text, end_text, meetings.get(booking.id)))
        calendar_weeks.append(week)
    return calendar_weeks


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def meetings_held(session: Session, booking_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The published, not cancelled meeting held in each of these bookings: (slug, title) by booking id."""
    if not booking_ids:
        return {}
    rows = session.exec(
        select(Meeting.booking_id, Meeting.slug, Meeting.title)
        .where(
            col(Meeting.booking_id).in_(booking_ids),
            col(Meeting.published_at).is_not(None),
            col(Meeting.cancelled_at).is_(None),
        )
        .order_by(col(Meeting.starts_at))
    ).all()
    found: dict[int, tuple[str, str]] = {}
    for booking_id, slug, title in rows:
        found.setdefault(booking_id, (slug, title))
    return found


# --- for the meetings feature --------------------------------------------------------------------


def venue_bookings(session: Session, organisation_id: int) -> list[Booking]:
    """Accepted bookings still to come that an organisation's meeting can take as its venue: those it borrowed and
    those of the rooms and equipment it lends itself, soonest first."""
    owned = select(Resource.id).where(Resource.organisation_id == organisation_id)
    query = (
        select(Booking)
        .where(
            Booking.status == "accepted",
            col(Booking.starts_at) > utcnow(),
            or_(Booking.organisation_id == organisation_id, col(Booking.resource_id).in_(owned)),
        )
        .order_by(col(Booking.starts_at), col(Booking.id))
    )
    return list(session.exec(query).all())


def venue_of(session: Session, booking: Booking) -> str:
    """Where a booking takes place, as a meeting's venue reads: the room's name and address."""
    resource = session.get(Resource, booking.resource_id)
    if resource is None:
        return ""
    return f"{resource.name}, {resource.address}" if resource.address else resource.name


def venue_options(session: Session, organisation_id: int) -> list[tuple[int, str]]:
    """The choices of a meeting form's venue field: (booking id, "room, address: time")."""
    return [
        (booking.id, f"{venue_of(session, booking)}: {span_text(booking.starts_at, booking.ends_at)}")
        for booking in venue_bookings(session, organisation_id)
    ]
