"""A published consultation changed in the open: details corrected, dates moved while scheduled, the deadline extended
while open, or the whole consultation cancelled; each with a public reason, a row of its history and a ledger event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, select

from consult import ledger
from consult.consultations.actions import parse_local, require_unfrozen, status_of
from consult.forms import DomainError
from consult.i18n import _, gettext
from consult.models import Consultation, ConsultationChange, Organisation, utcnow
from consult.permissions import Principal, can

CORRECTABLE = ("title", "summary", "responsible_unit", "contact_person")
DATES = ("opens_at", "closes_at")
CHANGE_LABELS = {
    "corrected": _("Details corrected"),
    "rescheduled": _("Dates changed before the opening"),
    "extended": _("Deadline extended"),
    "cancelled": _("Consultation cancelled"),
}
REASON = Field(min_length=3, max_length=2000)


class CorrectionInput(BaseModel):
    title: str = Field(min_length=5, max_length=300)
    summary: str = Field(min_length=10, max_length=5000)
    responsible_unit: str = Field(min_length=2, max_length=200)
    contact_person: str = Field(min_length=2, max_length=200)
    reason: str = REASON


class DatesInput(BaseModel):
    """New dates: both while scheduled, the closing time alone (opens_at None) while open."""

    opens_at: datetime | None = None
    closes_at: datetime
    short_window_reason: str = Field(default="", max_length=2000)
    reason: str = REASON

    @field_validator("opens_at", "closes_at", mode="before")
    @classmethod
    def _local_time(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_local(value) if value else None
        return value


class CancelInput(BaseModel):
    reason: str = Field(min_length=10, max_length=2000)


@dataclass(frozen=True)
class ChangeView:
    """One entry of a consultation's public history of changes."""

    kind: str
    at: datetime
    reason: str
    changes: list[tuple[str, str, str]]  # field, before, after (times as ISO 8601)

    @property
    def label(self) -> str:
        return gettext(CHANGE_LABELS.get(self.kind, self.kind))


# --- queries ------------------------------------------------------------------------------


def changes_of(session: Session, consultation: Consultation) -> list[ChangeView]:
    """The consultation's history of changes, oldest first."""
    rows = session.exec(
        select(ConsultationChange)
        .where(ConsultationChange.consultation_id == consultation.id)
        .order_by(col(ConsultationChange.created_at), col(ConsultationChange.id))
    ).all()
    return [ChangeView(r.kind, r.created_at, r.reason, [tuple(c) for c in json.loads(r.changes)]) for r in rows]


# --- actions ------------------------------------------------------------------------------


def _require_manager(session: Session, principal: Principal | None, consultation: Consultation) -> Principal:
    municipality = session.get(Organisation, consultation.organisation_id)
    if principal is None or not can(principal, "consultation.manage", municipality):
        raise DomainError("", _("Only the municipality's officials change a consultation."), 403)
    if consultation.published_at is None:
        raise DomainError("", _("A draft is changed with “Edit the draft”, without a public note."), 409)
    require_unfrozen(session, consultation)
    return principal


def _require_running(consultation: Consultation) -> None:
    if consultation.cancelled_at is not None:
        raise DomainError("", _("This consultation is cancelled: its dates can no longer change."), 409)


def _record_change(
    session: Session,
    principal: Principal,
    consultation: Consultation,
    kind: str,
    changed: list[tuple[str, str, str]],
    reason: str,
    payload: dict,
) -> ConsultationChange:
    change = ConsultationChange(
        consultation_id=consultation.id,
        kind=kind,
        changes=json.dumps(changed, ensure_ascii=False),
        reason=reason.strip(),
        changed_by_id=principal.id,
    )
    session.add(consultation)
    session.add(change)
    session.flush()
    ledger.append(
        session,
        actor_id=principal.id,
        action=f"consultation.{kind}",
        subject_kind="consultation",
        subject_id=consultation.id,
        # The contact person is personal data: the ledger binds the new values and the reason by their hashes.
        payload={
            **payload,
            "change": change.id,
            "values_sha256": ledger.sha256_hex(ledger.canonical_json(changed)),
            "reason_sha256": ledger.sha256_hex(change.reason),
        },
    )
    session.commit()
    return change


def correct_consultation(
    session: Session, principal: Principal | None, consultation: Consultation, data: CorrectionInput
) -> ConsultationChange:
    """Correct the title, summary, responsible unit or contact person of a published consultation, until its record."""
    principal = _require_manager(session, principal, consultation)
    changed = [
        (name, getattr(consultation, name), getattr(data, name).strip())
        for name in CORRECTABLE
        if getattr(data, name).strip() != getattr(consultation, name)
    ]
    if not changed:
        raise DomainError("title", _("Nothing is different: change a detail, or go back."))
    for name, _before, after in changed:
        setattr(consultation, name, after)
    return _record_change(
        session, principal, consultation, "corrected", changed, data.reason, {"fields": [c[0] for c in changed]}
    )


def change_dates(
    session: Session, principal: Principal | None, consultation: Consultation, data: DatesInput
) -> ConsultationChange:
    """While scheduled: move the opening and closing times. While open: extend the closing time, never shorten it."""
    principal = _require_manager(session, principal, consultation)
    _require_running(consultation)
    now = utcnow()
    state = status_of(consultation, now)
    if state == "closed":
        raise DomainError("", _("The consultation is closed: its dates can no longer change."), 409)
    if state == "open":
        opens_at, kind = consultation.opens_at, "extended"
        if data.closes_at <= consultation.closes_at:
            raise DomainError("closes_at", _("An open consultation can only be extended: choose a later closing time."))
    else:
        opens_at, kind = data.opens_at or consultation.opens_at, "rescheduled"
        if opens_at < now - timedelta(minutes=5):
            raise DomainError("opens_at", _("The opening time has passed: choose a time from now on."))
        if data.closes_at <= opens_at:
            raise DomainError("closes_at", _("The closing time must be after the opening time."))
        _check_minimum(session, consultation, opens_at, data)
    changed = [
        (name, before.isoformat(), after.isoformat())
        for name, before, after in (
            ("opens_at", consultation.opens_at, opens_at),
            ("closes_at", consultation.closes_at, data.closes_at),
        )
        if before != after
    ]
    if not changed:
        raise DomainError("closes_at", _("These are the dates already announced: change one, or go back."))
    consultation.opens_at, consultation.closes_at = opens_at, data.closes_at
    payload = {"opens_at": opens_at.isoformat(), "closes_at": data.closes_at.isoformat()}
    return _record_change(session, principal, consultation, kind, changed, data.reason, payload)


def _check_minimum(session: Session, consultation: Consultation, opens_at: datetime, data: DatesInput) -> None:
    municipality = session.get(Organisation, consultation.organisation_id)
    days = municipality.min_consultation_days
    if data.closes_at - opens_at < timedelta(days=days):
        reason = data.short_window_reason.strip() or consultation.short_window_reason
        if not reason:
            raise DomainError(
                "short_window_reason",
                _("The consultation is shorter than the %(days)s days your municipality requires: give the reason."),
                days=days,
            )
        consultation.short_window_reason = reason


def cancel_consultation(
    session: Session, principal: Principal | None, consultation: Consultation, data: CancelInput
) -> ConsultationChange:
    """Cancel a published consultation: closed to contributions at once, shown as cancelled with the reason."""
    principal = _require_manager(session, principal, consultation)
    if consultation.cancelled_at is not None:
        raise DomainError("", _("This consultation is already cancelled."), 409)
    if status_of(consultation) == "closed":
        raise DomainError("", _("The consultation is closed: it can no longer be cancelled."), 409)
    consultation.cancelled_at = utcnow()
    consultation.cancel_reason = data.reason.strip()
    changed = [("cancelled_at", "", consultation.cancelled_at.isoformat())]
    return _record_change(session, principal, consultation, "cancelled", changed, data.reason, {})
