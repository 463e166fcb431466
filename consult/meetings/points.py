"""A point of a meeting's minutes entered into an open consultation: an official of the consultation's municipality
enters it through the entries feature (channel "meeting", received on the meeting's day, sent by an organisation
registered for the meeting or by a named person), so it is answered in the consultation's record; a MinutesPoint
row ties the comment to the meeting, in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, select

from consult import ledger
from consult.consultations.actions import status_of
from consult.entries.actions import EntryInput, enter_comment
from consult.errors import DomainError
from consult.forms import invalid
from consult.i18n import _
from consult.meetings import actions as _registers_rules  # noqa: F401  (the feature's rules, for can())
from consult.meetings.rules import ORGANISER_ROLES
from consult.models import Comment, Consultation, Meeting, MinutesPoint, Organisation, Registration, utcnow
from consult.permissions import Principal, can

SENDERS = ("organisation", "person")


# --- queries: the minutes and what was entered from them --------------------------------------------------


@dataclass(frozen=True)
class EnteredPoint:
    point: MinutesPoint
    consultation: Consultation
    comment: Comment | None


def entered_points(session: Session, meeting_id: int) -> list[EnteredPoint]:
    rows = session.exec(
        select(MinutesPoint, Consultation, Comment)
        .join(Consultation, col(Consultation.id) == MinutesPoint.consultation_id)
        .join(Comment, col(Comment.id) == MinutesPoint.comment_id, isouter=True)
        .where(MinutesPoint.meeting_id == meeting_id)
        .order_by(col(MinutesPoint.created_at), col(MinutesPoint.id))
    ).all()
    return [EnteredPoint(point, consultation, comment) for point, consultation, comment in rows]


def municipal_offices(session: Session, principal: Principal) -> list[int]:
    """The municipalities this person is an official (or admin) of."""
    offices = [org for org, role in principal.roles.items() if role in ORGANISER_ROLES]
    if not offices:
        return []
    query = select(Organisation.id).where(col(Organisation.id).in_(offices), Organisation.kind == "municipality")
    return list(session.exec(query).all())


def open_consultations_for(session: Session, principal: Principal, since: datetime) -> list[Consultation]:
    """Open consultations of the municipalities this person is an official of, opened by `since` (the meeting's day):
    where a point of the minutes may be entered."""
    now = utcnow()
    query = select(Consultation).where(
        col(Consultation.published_at).is_not(None),
        col(Consultation.cancelled_at).is_(None),
        Consultation.opens_at <= now,
        Consultation.closes_at > now,
        Consultation.opens_at <= since,
    )
    if not principal.is_admin:
        query = query.where(col(Consultation.organisation_id).in_(municipal_offices(session, principal)))
    return list(session.exec(query.order_by(Consultation.title)).all())


def registered_organisations(session: Session, meeting_id: int) -> list[Organisation]:
    """Organisations with a confirmed registration: who may be named as a point's sender."""
    query = (
        select(Organisation)
        .join(Registration, col(Registration.organisation_id) == Organisation.id)
        .where(Registration.meeting_id == meeting_id, Registration.status == "confirmed")
        .order_by(Organisation.name)
    )
    return list(session.exec(query).all())


def minutes_points(text: str) -> list[str]:
    """The points of the minutes an official may enter into a consultation: each paragraph and list item."""
    points: list[str] = []
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        item = stripped[:2] in ("- ", "* ", "+ ") or (stripped.split(".", 1)[0].isdigit() and ". " in stripped[:5])
        if (not stripped or item) and block:
            points.append(" ".join(block))
            block = []
        if stripped.startswith("#"):
            continue
        if item:
            stripped = stripped[2:] if stripped[:2] in ("- ", "* ", "+ ") else stripped.split(". ", 1)[1]
        if stripped:
            block.append(stripped)
    return [p for p in points if len(p) >= 3]


class PointInput(BaseModel):
    consultation_id: int
    sender: str = "organisation"
    organisation_id: int | None = None
    sender_name: str = Field(default="", max_length=200)
    body: str = Field(min_length=3, max_length=20_000)

    @field_validator("organisation_id", mode="before")
    @classmethod
    def _optional(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if value not in SENDERS:
            raise invalid(_("Choose who made the point."))
        return value


class _Deferred:
    """The session, with commit() held back: enter_comment commits, and the MinutesPoint must go with the comment."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def commit(self) -> None:
        self._session.flush()


def _consultation(session: Session, principal: Principal, meeting: Meeting, data: PointInput) -> Consultation:
    consultation = session.get(Consultation, data.consultation_id)
    if consultation is None:
        raise DomainError("consultation_id", _("Choose the consultation."))
    municipality = session.get(Organisation, consultation.organisation_id)
    if not can(principal, "meeting.enter_point", municipality):
        raise DomainError(
            "consultation_id", _("Only the officials of the consultation's municipality can enter points into it."), 403
        )
    if consultation.published_at is None or status_of(consultation) != "open":
        raise DomainError("consultation_id", _("Points can be entered only into an open consultation."), 409)
    if consultation.opens_at > meeting.starts_at:
        raise DomainError(
            "consultation_id", _("The meeting took place before this consultation opened: choose another one."), 422
        )
    return consultation


def enter_minutes_point(
    session: Session, principal: Principal | None, meeting: Meeting, data: PointInput, zone: str = "Europe/Warsaw"
) -> MinutesPoint:
    if principal is None:
        raise DomainError("", _("Log in to enter points of the minutes."), 403)
    if meeting.minutes_published_at is None:
        raise DomainError("", _("The minutes are not published yet."), 409)
    consultation = _consultation(session, principal, meeting, data)
    if data.sender == "organisation":
        registered = {o.id for o in registered_organisations(session, meeting.id)}
        if data.organisation_id not in registered or data.organisation_id == consultation.organisation_id:
            raise DomainError("organisation_id", _("Choose an organisation registered for the meeting."))
    elif len(data.sender_name.strip()) < 2:
        raise DomainError("sender_name", _("Give the name of the person who made the point."))
    entry = EntryInput(
        sender=data.sender,
        organisation_id=data.organisation_id if data.sender == "organisation" else None,
        sender_name=data.sender_name if data.sender == "person" else "",
        channel="meeting",
        received_at=meeting.starts_at.astimezone(ZoneInfo(zone)).date(),
        body=data.body,
    )
    comment = enter_comment(_Deferred(session), principal, consultation, entry, zone)  # type: ignore[arg-type]
    point = MinutesPoint(
        meeting_id=meeting.id, consultation_id=consultation.id, comment_id=comment.id, entered_by_id=principal.id
    )
    session.add(point)
    session.flush()
    ledger.append(
        session,
        actor_id=principal.id,
        action="minutes_point.entered",
        subject_kind="minutes_point",
        subject_id=point.id,
        payload={"meeting": meeting.id, "consultation": consultation.id, "comment": comment.id},
    )
    session.commit()
    return point
