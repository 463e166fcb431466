"""Registration for a meeting: by an organisation (any member of it) with a head count and the participants' names,
or by a person on their own; confirmed while seats last, else on the waiting list, promoted in order.

Each action checks what it can from a read, ends that read, and then changes seats as the first write of its own
transaction (seats.py), re-checking the meeting's state under the lock it holds: on SQLite a write that follows a
read of a stale snapshot would be refused at once, where a first write waits its turn.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from consult import ledger
from consult.errors import DomainError
from consult.forms import invalid
from consult.i18n import _, format_when
from consult.meetings import actions as _registers_rules  # noqa: F401  (the feature's rules, for can())
from consult.meetings import queries, seats
from consult.models import Meeting, MeetingBreakout, Registration, utcnow
from consult.permissions import Principal, can

MAX_HEAD_COUNT = 100
MAX_NAME = 120


class RegistrationInput(BaseModel):
    organisation_id: int | None = None  # None: the person registers themself
    head_count: int = 1
    participants: str = Field(default="", max_length=10_000)
    breakout_id: int | None = None
    accessibility_needs: str = Field(default="", max_length=2000)
    catering_needs: str = Field(default="", max_length=2000)

    @field_validator("organisation_id", "breakout_id", mode="before")
    @classmethod
    def _optional(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("head_count")
    @classmethod
    def _head_count(cls, value: int) -> int:
        if not 1 <= value <= MAX_HEAD_COUNT:
            raise invalid(_("Give how many people will come: from 1 to 100."))
        return value

    @field_validator("participants")
    @classmethod
    def _names(cls, value: str) -> str:
        if any(len(name) > MAX_NAME for name in queries.names(value)):
            raise invalid(_("A name is too long: write one name a line."))
        return value


# --- rules --------------------------------------------------------------------------------


def closes_at(meeting: Meeting):
    """When registration closes: the deadline set, else the start."""
    return meeting.registration_closes_at or meeting.starts_at


def registration_refusal(meeting: Meeting) -> DomainError | None:
    """Why nobody can register now (409), or None."""
    if meeting.published_at is None:
        return DomainError("", _("This meeting is not published yet."), 409)
    if meeting.cancelled_at is not None:
        return DomainError("", _("This meeting was cancelled."), 409)
    if utcnow() >= closes_at(meeting):
        return DomainError("", _("Registration closed %(when)s."), 409, when=format_when(closes_at(meeting)))
    return None


def _require_open(meeting: Meeting) -> None:
    if refusal := registration_refusal(meeting):
        raise refusal


def _require_before_start(meeting: Meeting) -> None:
    if meeting.cancelled_at is not None:
        raise DomainError("", _("This meeting was cancelled."), 409)
    if meeting.starts_at <= utcnow():
        raise DomainError("", _("The meeting has started: registrations can no longer be changed."), 409)


def _participants(principal: Principal, organisation_id: int | None, data: RegistrationInput) -> str:
    """The names as stored, one a line; a person on their own is the one participant."""
    given = queries.names(data.participants)
    if organisation_id is None:
        if data.head_count != 1:
            raise DomainError(
                "head_count",
                _("On your own you register one person: yourself. To bring others, register your organisation."),
            )
        return "\n".join(given) if given else principal.user.display_name
    if not given:
        raise DomainError("participants", _("Give the participants' names, one a line."))
    if len(given) != data.head_count:
        raise DomainError(
            "participants",
            _("The head count is %(count)s, but %(given)s names are given: write one name a line for each person."),
            count=data.head_count,
            given=len(given),
        )
    return "\n".join(given)


def _breakout(session: Session, meeting: Meeting, data: RegistrationInput) -> MeetingBreakout | None:
    groups = queries.breakouts_of(session, meeting.id)
    if not groups:
        if data.breakout_id is not None:
            raise DomainError("breakout_id", _("This meeting has no breakout groups."))
        return None
    chosen = next((g for g in groups if g.id == data.breakout_id), None)
    if chosen is None:
        raise DomainError("breakout_id", _("Choose a breakout group."))
    if chosen.capacity is not None and data.head_count > chosen.capacity:
        raise DomainError(
            "head_count",
            _("The group “%(name)s” holds %(num)s people in all: register at most that many."),
            name=chosen.name,
            num=chosen.capacity,
        )
    return chosen


def _group_full(session: Session, meeting: Meeting, group: MeetingBreakout, count: int) -> DomainError:
    free = [
        g.name
        for g in queries.breakouts_of(session, meeting.id)
        if g.capacity is None or g.seats_taken + count <= g.capacity
    ]
    if free:
        return DomainError(
            "breakout_id",
            _("The group “%(name)s” is full. Groups with places left: %(free)s."),
            409,
            name=group.name,
            free=", ".join(free),
        )
    return DomainError("breakout_id", _("The group “%(name)s” is full, and so are the others."), 409, name=group.name)


def _already(organisation_id: int | None) -> DomainError:
    if organisation_id is None:
        return DomainError("", _("You are already registered for this meeting: change that registration instead."), 409)
    return DomainError(
        "organisation_id",
        _("This organisation is already registered for this meeting: change that registration instead."),
        409,
    )


def _live(session: Session, meeting: Meeting, principal: Principal, organisation_id: int | None):
    query = select(Registration.id).where(Registration.meeting_id == meeting.id, Registration.status != "cancelled")
    if organisation_id is None:
        query = query.where(col(Registration.organisation_id).is_(None), Registration.registered_by_id == principal.id)
    else:
        query = query.where(Registration.organisation_id == organisation_id)
    return session.exec(query).first()


def _log(session: Session, actor_id: int, action: str, registration: Registration) -> None:
    """No names in the ledger: who registered is the actor, the organisation its id, the people only counted."""
    ledger.append(
        session,
        actor_id=actor_id,
        action=action,
        subject_kind="registration",
        subject_id=registration.id,
        payload={
            "meeting": registration.meeting_id,
            "organisation": registration.organisation_id,
            "head_count": registration.head_count,
            "breakout": registration.breakout_id,
            "status": registration.status,
        },
    )


# --- actions ------------------------------------------------------------------------------


def register_for_meeting(
    session: Session, principal: Principal | None, meeting: Meeting, data: RegistrationInput
) -> Registration:
    """Confirmed when the seats (and the group's) are taken at once; wait-listed when the meeting is full or others
    wait ahead; refused (409) when the chosen group is full while the meeting is not."""
    if principal is None:
        raise DomainError("", _("Log in to register."), 403)
    _require_open(meeting)
    if not can(principal, "meeting.register", queries.candidate(session, principal, meeting, data.organisation_id)):
        raise DomainError("organisation_id", _("This meeting is not open to you or to this organisation."), 403)
    participants = _participants(principal, data.organisation_id, data)
    if meeting.capacity is not None and data.head_count > meeting.capacity:
        raise DomainError(
            "head_count",
            _("The meeting holds %(num)s people in all: register at most that many."),
            num=meeting.capacity,
        )
    group = _breakout(session, meeting, data)
    if _live(session, meeting, principal, data.organisation_id) is not None:
        raise _already(data.organisation_id)
    meeting_id, group_id = meeting.id, group.id if group else None
    session.commit()  # end the reads; the seats are the first write of the next transaction

    outcome = seats.take_seats(session, meeting_id, group_id, data.head_count)
    meeting = session.get(Meeting, meeting_id, populate_existing=True)
    if (refusal := registration_refusal(meeting)) or outcome == "group_full":
        session.rollback()
        raise refusal or _group_full(session, meeting, group, data.head_count)
    now = utcnow()
    registration = Registration(
        meeting_id=meeting_id,
        organisation_id=data.organisation_id,
        registered_by_id=principal.id,
        head_count=data.head_count,
        participants=participants,
        breakout_id=group_id,
        accessibility_needs=data.accessibility_needs.strip(),
        catering_needs=data.catering_needs.strip(),
        status="confirmed" if outcome == "taken" else "waitlisted",
        queued_at=now,
        created_at=now,
    )
    session.add(registration)
    try:
        session.flush()
    except IntegrityError as error:  # the same organisation registered at the same moment from elsewhere
        session.rollback()
        raise _already(data.organisation_id) from error
    _log(session, principal.id, "registration.created", registration)
    session.commit()
    return registration


def change_registration(
    session: Session,
    principal: Principal | None,
    registration: Registration,
    data: RegistrationInput,
    link: str = "",
) -> Registration:
    """New names, needs, head count or group. More people or another group need free seats (409 if not there, the
    waiting list first) and an open registration; fewer people free seats for the waiting list. A wait-listed
    registration keeps its place in the line."""
    if principal is None or not can(principal, "meeting.change_registration", registration):
        raise DomainError("", _("Only the registered organisation's members can change its registration."), 403)
    if registration.status == "cancelled":
        raise DomainError("", _("This registration was cancelled."), 409)
    meeting = session.get(Meeting, registration.meeting_id)
    _require_before_start(meeting)
    data = data.model_copy(update={"organisation_id": registration.organisation_id})
    participants = _participants(principal, registration.organisation_id, data)
    if meeting.capacity is not None and data.head_count > meeting.capacity:
        raise DomainError(
            "head_count",
            _("The meeting holds %(num)s people in all: register at most that many."),
            num=meeting.capacity,
        )
    group = _breakout(session, meeting, data)
    registration_id, meeting_id = registration.id, meeting.id
    session.commit()

    seats.lock_meeting(session, meeting_id)
    meeting = session.get(Meeting, meeting_id, populate_existing=True)
    registration = session.get(Registration, registration_id, populate_existing=True)
    old_count, old_group = registration.head_count, registration.breakout_id
    new_group = group.id if group else None
    more = data.head_count > old_count or new_group != old_group
    if more and registration_refusal(meeting) is not None:
        session.rollback()
        raise DomainError(
            "head_count",
            _("Registration closed %(when)s: you can still lower the head count or cancel."),
            409,
            when=format_when(closes_at(meeting)),
        )
    if registration.status == "confirmed":
        seats.release_seats(session, meeting_id, old_group, old_count)
        # Back in the line for the whole new count: taken again at once unless others wait or the seats are gone.
        if not seats.take_meeting_seats(session, meeting_id, data.head_count, behind_queue=data.head_count > old_count):
            session.rollback()
            raise DomainError(
                "head_count",
                _("No places are free for %(num)s more people (those on the waiting list come first)."),
                409,
                num=data.head_count - old_count,
            )
        if new_group is not None and not seats.take_breakout_seats(session, new_group, data.head_count):
            session.rollback()
            raise _group_full(session, meeting, group, data.head_count)
    registration.head_count = data.head_count
    registration.participants = participants
    registration.breakout_id = new_group
    registration.accessibility_needs = data.accessibility_needs.strip()
    registration.catering_needs = data.catering_needs.strip()
    session.add(registration)
    session.flush()
    _log(session, principal.id, "registration.changed", registration)
    seats.promote_waiting(session, meeting_id, principal.id, link)
    session.commit()
    return registration


def cancel_registration(
    session: Session, principal: Principal | None, registration: Registration, link: str = ""
) -> list[Registration]:
    """Cancel before the meeting starts: the seats go back and the waiting list is promoted in order, each one
    promoted told by e-mail, in the same transaction. Returns those promoted."""
    if principal is None or not can(principal, "meeting.change_registration", registration):
        raise DomainError("", _("Only the registered organisation's members can change its registration."), 403)
    meeting = session.get(Meeting, registration.meeting_id)
    _require_before_start(meeting)
    registration_id, meeting_id = registration.id, meeting.id
    session.commit()

    seats.lock_meeting(session, meeting_id)
    registration = session.get(Registration, registration_id, populate_existing=True)
    if registration.status == "cancelled":
        session.rollback()
        raise DomainError("", _("This registration was cancelled."), 409)
    if registration.status == "confirmed":
        seats.release_seats(session, meeting_id, registration.breakout_id, registration.head_count)
    registration.status = "cancelled"
    registration.cancelled_at = utcnow()
    session.add(registration)
    session.flush()
    _log(session, principal.id, "registration.cancelled", registration)
    promoted = seats.promote_waiting(session, meeting_id, principal.id, link)
    session.commit()
    return promoted
