"""A network's attendance for its coordinators: for each member organisation, which of the network's meetings it
registered for and attended, and who has missed the last two quarterly meetings.

An organisation attended a meeting when its registration says at least one person came (`Registration.attended`).
It missed a past meeting when it did not register, cancelled, stayed on the waiting list, or none of its people came;
a registration whose attendance the organiser has not entered yet is neither. A member is flagged when it missed both
of the last two quarterly meetings held since it was admitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from consult.models import Meeting, Network, Organisation, Registration, utcnow
from consult.networks import queries

PAST_SHOWN = 6  # the latest past meetings in the table
UPCOMING_SHOWN = 2

# What a cell says, by state: the template translates each.
ATTENDED, ABSENT, NOT_ENTERED, REGISTERED, WAITLISTED, NOT_REGISTERED = (
    "attended",
    "absent",
    "not_entered",
    "registered",
    "waitlisted",
    "not_registered",
)


@dataclass(frozen=True)
class Cell:
    state: str
    people: int = 0  # how many came (attended) or are registered (upcoming)


@dataclass(frozen=True)
class Row:
    organisation: Organisation
    admitted_at: datetime | None
    cells: list[Cell]
    missed_last_two: bool


@dataclass(frozen=True)
class Attendance:
    meetings: list[Meeting]  # oldest first
    past: set[int]  # ids of the meetings that have ended
    rows: list[Row]
    last_quarterly: list[Meeting]  # the last two quarterly meetings held, oldest first

    @property
    def flagged(self) -> list[Row]:
        return [row for row in self.rows if row.missed_last_two]


def _cell(registration: Registration | None, past: bool) -> Cell:
    if registration is None or registration.status == "cancelled":
        return Cell(NOT_REGISTERED)
    if registration.status == "waitlisted":
        return Cell(WAITLISTED)
    if not past:
        return Cell(REGISTERED, registration.head_count)
    if registration.attended is None:
        return Cell(NOT_ENTERED)
    return Cell(ATTENDED, registration.attended) if registration.attended > 0 else Cell(ABSENT)


def _missed(cell: Cell) -> bool:
    return cell.state in (ABSENT, WAITLISTED, NOT_REGISTERED)


def _registrations(session: Session, meeting_ids: list[int]) -> dict[tuple[int, int], Registration]:
    """Each organisation's registration for each meeting: its live one, else its latest cancelled one."""
    found: dict[tuple[int, int], Registration] = {}
    if not meeting_ids:
        return found
    rows = session.exec(
        select(Registration)
        .where(col(Registration.meeting_id).in_(meeting_ids), col(Registration.organisation_id).is_not(None))
        .order_by(col(Registration.created_at), col(Registration.id))
    ).all()
    for registration in rows:
        key = (registration.meeting_id, registration.organisation_id)
        if key not in found or registration.status != "cancelled" or found[key].status == "cancelled":
            found[key] = registration
    return found


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands times back without their zone; they are stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def attendance_of(session: Session, network: Network, now: datetime | None = None) -> Attendance:
    now = now or utcnow()
    meetings = list(
        session.exec(
            select(Meeting)
            .where(Meeting.network_id == network.id, col(Meeting.cancelled_at).is_(None))
            .order_by(col(Meeting.starts_at), col(Meeting.id))
        )
    )
    held = [m for m in meetings if _aware(m.ends_at) < now]
    coming = [m for m in meetings if _aware(m.ends_at) >= now]
    shown = held[-PAST_SHOWN:] + coming[:UPCOMING_SHOWN]
    last_quarterly = [m for m in held if m.kind == "quarterly"][-2:]
    counted = {m.id for m in shown} | {m.id for m in last_quarterly}
    registrations = _registrations(session, sorted(counted))
    past = {m.id for m in held}
    rows = []
    for organisation, membership in queries.members_of(session, network.id):
        cells = [_cell(registrations.get((m.id, organisation.id)), m.id in past) for m in shown]
        admitted_at = _aware(membership.decided_at)
        flagged = (
            len(last_quarterly) == 2
            and (admitted_at is None or admitted_at <= _aware(last_quarterly[0].starts_at))
            and all(_missed(_cell(registrations.get((m.id, organisation.id)), True)) for m in last_quarterly)
        )
        rows.append(Row(organisation, admitted_at, cells, flagged))
    return Attendance(shown, past, rows, last_quarterly)
