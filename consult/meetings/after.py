"""After the meeting: how many came per registration, and the minutes, published on the meeting's page."""

from __future__ import annotations

from sqlmodel import Session, select

from consult import ledger
from consult.errors import DomainError
from consult.i18n import _
from consult.markdown import render_markdown
from consult.meetings.actions import require_organiser
from consult.meetings.inputs import MinutesInput
from consult.models import Meeting, Registration, utcnow
from consult.permissions import Principal


def _require_held(meeting: Meeting) -> None:
    if meeting.cancelled_at is not None:
        raise DomainError("", _("This meeting was cancelled."), 409)
    if meeting.published_at is None or meeting.starts_at > utcnow():
        raise DomainError("", _("Attendance and minutes are entered once the meeting has started."), 409)


MAX_ATTENDED = 1000


def record_attendance(
    session: Session, principal: Principal | None, meeting: Meeting, values: dict[str, str]
) -> dict[int, int | None]:
    """How many people came, per confirmed registration (fields `attended-<id>`; empty: not known)."""
    principal = require_organiser(session, principal, meeting)
    _require_held(meeting)
    rows = session.exec(
        select(Registration).where(Registration.meeting_id == meeting.id, Registration.status == "confirmed")
    ).all()
    counts: dict[int, int | None] = {}
    for registration in rows:
        name = f"attended-{registration.id}"
        typed = str(values.get(name, "")).strip()
        if typed and (not typed.isdigit() or int(typed) > MAX_ATTENDED):
            raise DomainError(name, _("Give how many people came: a whole number from 0 to 1,000, or leave it empty."))
        counts[registration.id] = int(typed) if typed else None
        registration.attended = counts[registration.id]
        session.add(registration)
    ledger.append(
        session,
        actor_id=principal.id,
        action="meeting.attendance",
        subject_kind="meeting",
        subject_id=meeting.id,
        payload={"attended": {str(k): v for k, v in sorted(counts.items())}},
    )
    session.commit()
    return counts


def publish_minutes(session: Session, principal: Principal | None, meeting: Meeting, data: MinutesInput) -> Meeting:
    """The minutes, in Markdown, published on the meeting's page (again after a correction)."""
    principal = require_organiser(session, principal, meeting)
    _require_held(meeting)
    first = meeting.minutes_published_at is None
    meeting.minutes = data.minutes
    meeting.minutes_html = render_markdown(data.minutes)
    meeting.minutes_published_at = meeting.minutes_published_at or utcnow()
    session.add(meeting)
    ledger.append(
        session,
        actor_id=principal.id,
        action="meeting.minutes_published" if first else "meeting.minutes_corrected",
        subject_kind="meeting",
        subject_id=meeting.id,
        payload={"sha256": ledger.sha256_hex(data.minutes)},
    )
    session.commit()
    return meeting
