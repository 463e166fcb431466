"""What a municipality's bulletin holds for a month: consultations opened and closed (with their outcome), meetings
ahead, funding deadlines and announcements. Queries only (the page is public and changes nothing).

The month is a calendar month in the municipality's time zone. "Ahead" means this month and the next: a bulletin
printed at the start of a month still tells readers of what comes in the weeks after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from consult.answers.contributions import progress
from consult.consultations.actions import status_of
from consult.i18n import _, gettext
from consult.meetings.queries import _for_owner
from consult.models import (
    Announcement,
    Consultation,
    Meeting,
    NetworkMunicipality,
    Organisation,
    Record,
    WorkingGroup,
    utcnow,
)

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
LIMIT = 50  # rows per section: a month of one municipality holds far fewer; a bound on what one page renders


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def start(self, zone: str) -> datetime:
        """Midnight of its first day in the municipality's time zone, in UTC."""
        return datetime(self.year, self.month, 1, tzinfo=ZoneInfo(zone)).astimezone(UTC)

    def label(self, locale: str) -> str:
        """ "grudzień 2026", "December 2026": the month's name as it stands alone."""
        return format_date(self.first_day, "LLLL y", locale=locale)

    @property
    def in_range(self) -> bool:
        return FIRST_YEAR <= self.year <= LAST_YEAR


def parse_month(text: str) -> Month | None:
    """ "2026-12" → Month; None for anything else (a 13th month, a year out of range, other text)."""
    found = MONTH_RE.match(text)
    if not found:
        return None
    month = Month(int(found.group(1)), int(found.group(2)))
    return month if 1 <= month.month <= 12 and month.in_range else None


def current_month(zone: str, now: datetime | None = None) -> Month:
    local = (now or utcnow()).astimezone(ZoneInfo(zone))
    return Month(local.year, local.month)


@dataclass(frozen=True)
class ConsultationLine:
    """A consultation of the month with what became of it."""

    consultation: Consultation
    status: str  # scheduled | open | closed | cancelled
    record_published: bool
    contributions: int  # contributions that need an answer (withdrawn and hidden ones left out)
    answered: int  # of those, how many have the municipality's position


@dataclass(frozen=True)
class Bulletin:
    municipality: Organisation
    month: Month
    opened: list[ConsultationLine]  # opened in the month, or open during it and not closed in it
    closed: list[ConsultationLine]
    meetings: list[Meeting]
    funding: list[Announcement]
    announcements: list[Announcement]

    @property
    def empty(self) -> bool:
        return not (self.opened or self.closed or self.meetings or self.funding or self.announcements)


def get_municipality(session: Session, slug: str) -> Organisation | None:
    return session.exec(
        select(Organisation).where(Organisation.slug == slug, Organisation.kind == "municipality")
    ).first()


def _lines(session: Session, consultations: list[Consultation], with_outcome: bool) -> list[ConsultationLine]:
    ids = [c.id for c in consultations]
    published = set(session.exec(select(Record.consultation_id).where(col(Record.consultation_id).in_(ids))).all())
    lines = []
    for consultation in consultations:
        counted = progress(session, consultation) if with_outcome else None  # one query each, at most LIMIT
        lines.append(
            ConsultationLine(
                consultation=consultation,
                status="cancelled" if consultation.cancelled_at else status_of(consultation),
                record_published=consultation.id in published,
                contributions=counted.total if counted else 0,
                answered=counted.answered if counted else 0,
            )
        )
    return lines


def _audience(municipality_id: int):
    """Announcements meant for the municipality's readers: everyone's, the municipality's own, those of the networks
    spanning it and of the working groups it runs or its networks hold."""
    spanning = select(NetworkMunicipality.network_id).where(NetworkMunicipality.municipality_id == municipality_id)
    groups = select(WorkingGroup.id).where(
        or_(WorkingGroup.organisation_id == municipality_id, col(WorkingGroup.network_id).in_(spanning))
    )
    kind, target = col(Announcement.audience_kind), col(Announcement.audience_id)
    return or_(
        kind == "everyone",
        and_(kind == "municipality", target == municipality_id),
        and_(kind == "network", target.in_(spanning)),
        and_(kind == "group", target.in_(groups)),
        Announcement.organisation_id == municipality_id,
    )


def bulletin(session: Session, municipality: Organisation, month: Month, zone: str, now: datetime | None = None):
    """The month's bulletin of one municipality, in a fixed number of queries (plus one per closed consultation)."""
    now = now or utcnow()
    start, end, after = month.start(zone), month.next.start(zone), month.next.next.start(zone)
    public = (Consultation.organisation_id == municipality.id, col(Consultation.published_at).is_not(None))
    running = session.exec(  # open for comments at some time in the month
        select(Consultation)
        .where(*public, Consultation.opens_at < end, Consultation.closes_at > start)
        .order_by(col(Consultation.opens_at), col(Consultation.id))
        .limit(LIMIT)
    ).all()
    ended = or_(
        and_(Consultation.closes_at >= start, Consultation.closes_at < end, Consultation.closes_at <= now),
        and_(col(Consultation.cancelled_at) >= start, col(Consultation.cancelled_at) < end),
    )
    closed = session.exec(
        select(Consultation)
        .where(*public, ended)
        .order_by(col(Consultation.closes_at), col(Consultation.id))
        .limit(LIMIT)
    ).all()
    meetings = session.exec(
        _for_owner(
            select(Meeting).where(
                col(Meeting.published_at).is_not(None),
                col(Meeting.cancelled_at).is_(None),
                Meeting.starts_at >= start,
                Meeting.starts_at < after,
            ),
            None,
            None,
            None,
            municipality.id,
        )
        .order_by(col(Meeting.starts_at), col(Meeting.id))
        .limit(LIMIT)
    ).all()
    live = (
        col(Announcement.published_at).is_not(None),
        Announcement.published_at <= now,
        col(Announcement.withdrawn_at).is_(None),
        _audience(municipality.id),
    )
    funding = session.exec(
        select(Announcement)
        .where(
            *live,
            Announcement.category == "funding",
            Announcement.deadline >= month.first_day,
            Announcement.deadline < month.next.next.first_day,
        )
        .order_by(col(Announcement.deadline), col(Announcement.id))
        .limit(LIMIT)
    ).all()
    announcements = session.exec(
        select(Announcement)
        .where(
            *live,
            Announcement.category != "funding",
            Announcement.published_at >= start,
            Announcement.published_at < end,
        )
        .order_by(col(Announcement.published_at), col(Announcement.id))
        .limit(LIMIT)
    ).all()
    ended_here = {c.id for c in closed}
    # Opened in the month, or still running: one that opened before and has closed is told once, with its outcome.
    opened = [c for c in running if c.opens_at >= start or c.id not in ended_here]
    return Bulletin(
        municipality=municipality,
        month=month,
        opened=_lines(session, opened, with_outcome=False),
        closed=_lines(session, list(closed), with_outcome=True),
        meetings=list(meetings),
        funding=list(funding),
        announcements=list(announcements),
    )


CATEGORY_LABELS = {
    "funding": _("Funding opportunity"),
    "training": _("Training"),
    "event": _("Event"),
    "general": _("Announcement"),
}


def category_text(category: str) -> str:
    return gettext(CATEGORY_LABELS.get(category, CATEGORY_LABELS["general"]))


def day_text(day: date, locale: str) -> str:
    """ "14 grudnia 2026 r.", "14 December 2026": a deadline that is a day."""
    text = format_date(day, "d MMMM y", locale=locale)
    return f"{text} r." if locale == "pl" else text


def amount_text(item: Announcement, locale: str) -> str:
    """ "od 5 000 zł do 20 000 zł", "do 10 000 zł", "5 000 zł", or "" when no amount is given."""
    low, high = item.amount_min, item.amount_max
    money = {k: format_decimal(v, locale=locale) for k, v in (("low", low), ("high", high)) if v is not None}
    if low is not None and high is not None and low != high:
        return gettext("from PLN %(low)s to PLN %(high)s", **money)
    if high is not None:
        return gettext("up to PLN %(high)s", **money) if low is None else gettext("PLN %(high)s", **money)
    if low is not None:
        return gettext("from PLN %(low)s", **money)
    return ""
