"""Seats held by the database: a meeting's (and a breakout group's) `seats_taken` grows only through a conditional
UPDATE that matches no row when the seats are not there, and a CHECK keeps it within the capacity. Nothing here reads
a count and then inserts.

Every change that frees or moves seats first locks the meeting's row (`lock_meeting`), then takes or releases seats,
then promotes the waiting list, all in one transaction: two cancellations, or a cancellation and a registration, are
thus serialised on the meeting, and a registration cannot be wait-listed by a snapshot taken before seats were freed.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select, update
from sqlmodel import Session

from consult import ledger
from consult.meetings import notices
from consult.models import Meeting, MeetingBreakout, Registration, utcnow

MEETING = Meeting.__table__
BREAKOUT = MeetingBreakout.__table__
REGISTRATION = Registration.__table__


def lock_meeting(session: Session, meeting_id: int) -> None:
    """Take the meeting's row lock (PostgreSQL) or the write lock (SQLite) before changing its seats."""
    session.exec(update(MEETING).where(MEETING.c.id == meeting_id).values(seats_taken=MEETING.c.seats_taken))


def _someone_waiting_for_seats(meeting_id: int):
    """A wait-listed registration whose breakout group (if any) has room for it: it waits only for the meeting's
    seats, so a newcomer must queue behind it. One waiting for a full group does not hold others back."""
    waiting = REGISTRATION.alias("waiting")
    group = BREAKOUT.alias("waiting_group")
    return exists(
        select(waiting.c.id)
        .select_from(waiting.outerjoin(group, group.c.id == waiting.c.breakout_id))
        .where(
            waiting.c.meeting_id == meeting_id,
            waiting.c.status == "waitlisted",
            or_(
                group.c.id.is_(None),
                group.c.capacity.is_(None),
                group.c.seats_taken + waiting.c.head_count <= group.c.capacity,
            ),
        )
    )


def take_meeting_seats(session: Session, meeting_id: int, count: int, *, behind_queue: bool = True) -> bool:
    """UPDATE meeting SET seats_taken = seats_taken + :n WHERE id = :id AND (capacity IS NULL OR seats_taken + :n <=
    capacity) [AND nobody is waiting ahead]; True when the seats were taken."""
    conditions = [
        MEETING.c.id == meeting_id,
        or_(MEETING.c.capacity.is_(None), MEETING.c.seats_taken + count <= MEETING.c.capacity),
    ]
    if behind_queue:
        conditions.append(~_someone_waiting_for_seats(meeting_id))
    result = session.exec(update(MEETING).where(and_(*conditions)).values(seats_taken=MEETING.c.seats_taken + count))
    return result.rowcount == 1


def take_breakout_seats(session: Session, breakout_id: int, count: int) -> bool:
    conditions = [
        BREAKOUT.c.id == breakout_id,
        or_(BREAKOUT.c.capacity.is_(None), BREAKOUT.c.seats_taken + count <= BREAKOUT.c.capacity),
    ]
    result = session.exec(update(BREAKOUT).where(and_(*conditions)).values(seats_taken=BREAKOUT.c.seats_taken + count))
    return result.rowcount == 1


def release_seats(session: Session, meeting_id: int, breakout_id: int | None, count: int) -> None:
    if count <= 0:
        return
    session.exec(update(MEETING).where(MEETING.c.id == meeting_id).values(seats_taken=MEETING.c.seats_taken - count))
    if breakout_id is not None:
        session.exec(
            update(BREAKOUT).where(BREAKOUT.c.id == breakout_id).values(seats_taken=BREAKOUT.c.seats_taken - count)
        )


def take_seats(session: Session, meeting_id: int, breakout_id: int | None, count: int) -> str:
    """Seats for a new registration: "taken", "meeting_full" (it waits), or "group_full" (refused). The caller's
    transaction holds what was taken; on "group_full" it must roll back."""
    taken = take_meeting_seats(session, meeting_id, count)
    if not taken:
        # The seats were not there in the row as last committed: wait for any cancellation running now (it holds the
        # row), then ask again, so seats it frees are not missed by a registration queued behind it.
        lock_meeting(session, meeting_id)
        taken = take_meeting_seats(session, meeting_id, count)
    if not taken:
        return "meeting_full"
    if breakout_id is not None and not take_breakout_seats(session, breakout_id, count):
        return "group_full"
    return "taken"


def _fits_group(session: Session, registration: Registration) -> bool:
    if registration.breakout_id is None:
        return True
    group = session.get(MeetingBreakout, registration.breakout_id, populate_existing=True)
    return group is None or group.capacity is None or group.seats_taken + registration.head_count <= group.capacity


def promote_waiting(session: Session, meeting_id: int, actor_id: int | None, link: str = "") -> list[Registration]:
    """Confirm wait-listed registrations in their order (queued_at, id) while seats allow; the caller holds the
    meeting's lock and commits.

    Strictly in order: the first in line whose group has room is promoted if the meeting has seats for its whole head
    count, and if not, nobody behind it is (a later, smaller registration never jumps a larger one that came first).
    One waiting for a full breakout group waits for that group and holds nobody back. Each one promoted is told by
    e-mail."""
    meeting = session.get(Meeting, meeting_id, populate_existing=True)
    if meeting is None or meeting.cancelled_at is not None or meeting.starts_at <= utcnow():
        return []
    waiting = session.exec(
        select(Registration)
        .where(Registration.meeting_id == meeting_id, Registration.status == "waitlisted")
        .order_by(Registration.queued_at, Registration.id)
        .execution_options(populate_existing=True)
    ).scalars()
    promoted = []
    for registration in list(waiting):
        if meeting.capacity is not None and registration.head_count > meeting.capacity:
            continue  # the capacity was lowered below it: it can never fit, and must not block the line
        if not _fits_group(session, registration):
            continue
        if not take_meeting_seats(session, meeting_id, registration.head_count, behind_queue=False):
            break
        if registration.breakout_id is not None and not take_breakout_seats(
            session, registration.breakout_id, registration.head_count
        ):
            release_seats(session, meeting_id, None, registration.head_count)
            continue
        registration.status = "confirmed"
        registration.promoted_at = utcnow()
        session.add(registration)
        ledger.append(
            session,
            actor_id=actor_id,
            action="registration.promoted",
            subject_kind="registration",
            subject_id=registration.id,
            payload={"meeting": meeting_id, "head_count": registration.head_count},
        )
        notices.promoted(session, meeting, registration, link)
        promoted.append(registration)
    session.flush()
    return promoted
