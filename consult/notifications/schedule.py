"""What the worker sends on a schedule: meeting reminders 2 days before, funding deadlines 7 days before, and the
weekly digest.

Each is sent once, however many workers run and however often: a reminder is claimed by inserting its
(user, kind, subject) row into `notification_sent`, a digest by inserting its (user, ISO week) row into
`notification_digest`, both under a unique constraint, in the same transaction as the mail it queues. A worker that
loses the race gets an IntegrityError (PostgreSQL makes it wait for the winner's commit first), rolls back, and
moves on: the loser queues nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from consult.db import writing
from consult.i18n import current_locale, format_when, gettext, ngettext
from consult.me.actions import serves
from consult.models import (
    Announcement,
    AnnouncementField,
    GroupDeclaration,
    Meeting,
    NetworkMembership,
    NotificationDigest,
    NotificationItem,
    NotificationSent,
    Organisation,
    OrganisationField,
    Registration,
    User,
    utcnow,
)
from consult.notifications.dispatch import (
    KIND_LABELS,
    KINDS,
    make_token,
    modes_of,
    notify,
    queue_notification_mail,
    unsubscribe_url,
)
from consult.notifications.events import absolute_url, members_of
from consult.settings import Settings

REMINDER_BEFORE = timedelta(days=2)
DEADLINE_DAYS = 7
DIGEST_WEEKDAY, DIGEST_HOUR = 0, 7  # Monday, 7:00 local time


def _local(settings: Settings, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(settings.time_zone))


def iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _claim(session: Session, user_id: int, kind: str, subject_key: str) -> bool:
    """Take this scheduled notification for this worker; False when it was already sent (by us or another)."""
    try:
        with session.begin_nested():
            session.add(NotificationSent(user_id=user_id, kind=kind, subject_key=subject_key))
    except IntegrityError:
        return False
    return True


def _already_sent(session: Session, kind: str, subject_key: str) -> set[int]:
    rows = session.exec(
        select(NotificationSent.user_id).where(
            NotificationSent.kind == kind, NotificationSent.subject_key == subject_key
        )
    ).all()
    return set(rows)


def _send_once(
    session: Session, settings: Settings, people: set[int], kind: str, subject_key: str, message: tuple[str, str, str]
) -> int:
    """Claim and notify each person in a transaction of their own; how many this worker told."""
    told = 0
    for user_id in sorted(people - _already_sent(session, kind, subject_key)):
        session.commit()  # one short transaction per person: a lost race costs only that person's claim
        if not _claim(session, user_id, kind, subject_key):
            session.rollback()
            continue
        told += notify(session, [user_id], kind, *message, settings=settings)
        try:
            session.commit()
        except IntegrityError:  # SQLite without a savepoint's check: another worker committed the same claim first
            session.rollback()
    session.commit()
    return told


# --- meeting reminders ----------------------------------------------------------------------


def send_meeting_reminders(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Everyone with a confirmed registration for a published meeting that starts within two days."""
    now = now or utcnow()
    meetings = session.exec(
        select(Meeting).where(
            col(Meeting.published_at).is_not(None),
            col(Meeting.cancelled_at).is_(None),
            Meeting.starts_at > now,
            Meeting.starts_at <= now + REMINDER_BEFORE,
        )
    ).all()
    told = 0
    for meeting in meetings:
        people = set(
            session.exec(
                select(Registration.registered_by_id).where(
                    Registration.meeting_id == meeting.id,
                    Registration.status == "confirmed",
                    col(Registration.registered_by_id).is_not(None),
                )
            ).all()
        )
        message = (
            gettext("Reminder: %(title)s", title=meeting.title),
            gettext(
                "You are registered for “%(title)s”, which starts %(when)s.%(venue)s If you can no longer come, "
                "cancel the registration so that someone else gets the place.",
                title=meeting.title,
                when=format_when(meeting.starts_at, settings.time_zone),
                venue=(" " + gettext("Place: %(venue)s.", venue=meeting.venue_address))
                if meeting.venue_address
                else "",
            ),
            absolute_url(session, "meetings:detail", slug=meeting.slug),
        )
        told += _send_once(session, settings, people, "meeting_reminder", f"meeting:{meeting.id}", message)
    return told


# --- funding deadlines ----------------------------------------------------------------------


def _audience_organisations(session: Session, announcement: Announcement, candidates: set[int]) -> set[int]:
    """Of these organisations, those the announcement's audience reaches."""
    kind, target = announcement.audience_kind, announcement.audience_id
    if kind == "everyone" or not candidates:
        return candidates
    if kind == "network":
        rows = session.exec(
            select(NetworkMembership.organisation_id).where(
                NetworkMembership.network_id == target, NetworkMembership.status == "admitted"
            )
        ).all()
        return candidates & set(rows)
    if kind == "group":
        rows = session.exec(
            select(GroupDeclaration.organisation_id).where(
                GroupDeclaration.group_id == target, GroupDeclaration.status == "accepted"
            )
        ).all()
        return candidates & set(rows)
    municipality = session.get(Organisation, target)
    if municipality is None:
        return set()
    rows = session.exec(
        select(Organisation.id, Organisation.area_served).where(col(Organisation.id).in_(sorted(candidates)))
    ).all()
    return {oid for oid, area in rows if oid == municipality.id or serves(area, municipality)}


def send_funding_deadlines(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Members of organisations working in a funding opportunity's fields, once, from 7 days before its deadline."""
    today = _local(settings, now or utcnow()).date()
    opportunities = session.exec(
        select(Announcement).where(
            Announcement.category == "funding",
            col(Announcement.published_at).is_not(None),
            col(Announcement.withdrawn_at).is_(None),
            col(Announcement.deadline) >= today,
            col(Announcement.deadline) <= today + timedelta(days=DEADLINE_DAYS),
        )
    ).all()
    told = 0
    for announcement in opportunities:
        fields = session.exec(
            select(AnnouncementField.field).where(AnnouncementField.announcement_id == announcement.id)
        ).all()
        if not fields:
            continue
        organisations = set(
            session.exec(
                select(OrganisationField.organisation_id).where(col(OrganisationField.field).in_(fields))
            ).all()
        )
        people = members_of(session, _audience_organisations(session, announcement, organisations))
        days = (announcement.deadline - today).days
        funder = f" ({announcement.funder})" if announcement.funder else ""
        message = (
            gettext("Funding deadline soon: %(title)s", title=announcement.title),
            ngettext(
                "Applications for “%(title)s”%(funder)s are accepted until %(deadline)s: %(num)d day left.",
                "Applications for “%(title)s”%(funder)s are accepted until %(deadline)s: %(num)d days left.",
                days,
                title=announcement.title,
                funder=funder,
                deadline=format_date(announcement.deadline, format="long", locale=current_locale.get()),
            ),
            absolute_url(session, "announcements:detail", slug=announcement.slug),
        )
        told += _send_once(session, settings, people, "funding_deadline", f"announcement:{announcement.id}", message)
    return told


# --- the weekly digest ----------------------------------------------------------------------


def digest_due(settings: Settings, now: datetime) -> tuple[str, datetime] | None:
    """This week's name and its start (Monday 0:00 local) once Monday 7:00 local has passed; None before."""
    local = _local(settings, now)
    monday = local.date() - timedelta(days=local.weekday())
    start = datetime.combine(monday, time(0, 0), tzinfo=local.tzinfo)
    if local < start + timedelta(days=DIGEST_WEEKDAY, hours=DIGEST_HOUR):
        return None
    return iso_week(monday), start


def _digest_body(items: list[NotificationItem], links: dict[str, str]) -> str:
    lines = [gettext("What happened last week, by kind of notification:"), ""]
    for kind in KINDS:
        of_kind = [item for item in items if item.kind == kind]
        if not of_kind:
            continue
        lines.append(f"## {gettext(KIND_LABELS[kind])}")
        for item in of_kind:
            lines.append(f"- {item.subject}")
            if item.link:
                lines.append(f"  {item.link}")
        lines.append("  " + gettext("Stop these: %(url)s", url=links[kind]))
        lines.append("")
    return "\n".join(lines)


def send_digest(session: Session, settings: Settings, user: User, week: str, before: datetime) -> bool:
    """Claim this person's digest of this week and queue it with what waited before the week began; False when
    it was claimed already (by this worker earlier, or by another)."""
    session.commit()
    digest = NotificationDigest(user_id=user.id, week=week)
    try:
        session.add(digest)
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    modes = modes_of(session, [user.id])[user.id]
    items = session.exec(
        select(NotificationItem)
        .where(
            NotificationItem.user_id == user.id,
            col(NotificationItem.digest_id).is_(None),
            NotificationItem.created_at < before,
        )
        .order_by(col(NotificationItem.created_at), col(NotificationItem.id))
    ).all()
    items = [item for item in items if modes[item.kind] != "never"]
    if not items:
        session.rollback()  # nothing to send: the week stays free for a later item
        return False
    session.execute(
        update(NotificationItem)
        .where(col(NotificationItem.id).in_([item.id for item in items]))
        .values(digest_id=digest.id)
    )
    digest.item_count = len(items)
    session.add(digest)
    kinds = sorted({item.kind for item in items})
    links = {kind: unsubscribe_url(settings, make_token(settings.secret_key, user.id, [kind])) for kind in kinds}
    subject = ngettext(
        "Your weekly digest: %(num)d notification", "Your weekly digest: %(num)d notifications", len(items)
    )
    queue_notification_mail(session, settings, user, kinds, subject, _digest_body(items, links))
    try:
        session.commit()
    except IntegrityError:  # another worker committed this week's digest first
        session.rollback()
        return False
    return True


def send_digests(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Each person's weekly digest, once per ISO week, from Monday 7:00 local: how many this worker queued."""
    due = digest_due(settings, now or utcnow())
    if due is None:
        return 0
    week, start = due
    waiting = session.exec(
        select(NotificationItem.user_id)
        .where(col(NotificationItem.digest_id).is_(None), NotificationItem.created_at < start)
        .distinct()
    ).all()
    claimed = set(session.exec(select(NotificationDigest.user_id).where(NotificationDigest.week == week)).all())
    sent = 0
    for user_id in sorted(set(waiting) - claimed):
        user = session.get(User, user_id)
        if user is not None and send_digest(session, settings, user, week, start):
            sent += 1
    session.commit()
    return sent


def run_scheduled(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Everything due: the worker calls it on every round. Writes take SQLite's lock at once, as the worker's do."""
    token = writing.set(True)
    try:
        session.commit()
        return (
            send_meeting_reminders(session, settings, now)
            + send_funding_deadlines(session, settings, now)
            + send_digests(session, settings, now)
        )
    finally:
        writing.reset(token)
