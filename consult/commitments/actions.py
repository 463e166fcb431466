"""Commitments: what became of the contributions a municipality accepted.

A commitment is made for every contribution whose position is accepted or partly accepted, when the consultation's
record is published (`create_commitments`, called by `publish_record` in its own transaction): until then an answer
can still change, be shared or taken back; the published record freezes it, and the commitment follows what the
record says. Making them is idempotent, and the database holds one commitment per contribution.
Officials of the municipality then change a commitment's status (planned, in force, done, dropped with a reason),
the person or department responsible and its date; every change is kept with who made it, and goes to the ledger.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from consult import ledger
from consult.answers.contributions import contributions
from consult.commitments import rules  # noqa: F401  (registers the "commitment" rules)
from consult.errors import DomainError
from consult.forms import invalid
from consult.i18n import _
from consult.models import COMMITMENT_STATUSES, Commitment, CommitmentChange, Consultation, Organisation, utcnow
from consult.permissions import Principal, can

ACCEPTED = ("accepted", "partly_accepted")


class CommitmentInput(BaseModel):
    """An official's change: the status, the reason (required for dropped), who is responsible, the date."""

    status: str = Field(default="", validate_default=True)  # an empty form is refused, not stored
    reason: str = ""
    responsible: str = ""
    due_on: date | None = None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        if value not in COMMITMENT_STATUSES:
            raise invalid(_("Choose the status of the commitment."))
        return value

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if len(value) > 4000:
            raise invalid(_("This text is too long."))
        return value

    @field_validator("responsible")
    @classmethod
    def _responsible(cls, value: str) -> str:
        if len(value) > 200:
            raise invalid(_("Give the person or department in at most 200 characters."))
        return value

    @field_validator("due_on", mode="before")
    @classmethod
    def _empty_date(cls, value):
        return None if value == "" else value


def _wording(row) -> str:
    """What the contribution asked to change: its proposed wording, else its content (a proposal: title and body)."""
    if row.kind == "proposal":
        return f"{row.title}\n\n{row.body}".strip()
    return (row.proposed_wording or row.body).strip()


def create_commitments(session: Session, consultation: Consultation, actor_id: int | None) -> list[Commitment]:
    """A commitment for each accepted or partly accepted contribution that has none yet; the caller commits.

    Idempotent: a second call makes nothing. Called when the record is published, so what it copies (the wording,
    the paragraph's label) is what the record froze."""
    have = set(
        session.exec(
            select(Commitment.contribution_kind, Commitment.contribution_id).where(
                Commitment.consultation_id == consultation.id
            )
        ).all()
    )
    made = []
    for row in contributions(session, consultation):
        if row.answer is None or row.answer.position not in ACCEPTED or (row.kind, row.id) in have:
            continue
        commitment = Commitment(
            consultation_id=consultation.id,
            municipality_id=consultation.organisation_id,
            contribution_kind=row.kind,
            contribution_id=row.id,
            position=row.answer.position,
            paragraph_key=row.paragraph_key,
            paragraph_label=(row.paragraph_label or "")[:60],
            organisation_name=(row.organisation_name or "")[:300],
            wording=_wording(row),
            status_changed_at=utcnow(),
            created_at=utcnow(),
        )
        session.add(commitment)
        session.flush()
        ledger.append(
            session,
            actor_id=actor_id,
            action="commitment.created",
            subject_kind="commitment",
            subject_id=commitment.id,
            payload={
                "consultation": consultation.id,
                "contribution": f"{row.kind}:{row.id}",
                "position": row.answer.position,
                "paragraph": row.paragraph_key,
            },
        )
        made.append(commitment)
    return made


def backfill_commitments(session: Session, consultation: Consultation) -> list[Commitment]:
    """The commitments of a record published before commitments existed (or by a loader), committed."""
    try:
        made = create_commitments(session, consultation, None)
        session.commit()
    except IntegrityError:  # made a moment ago by another process: they are there
        session.rollback()
        return []
    return made


def change_commitment(
    session: Session, principal: Principal | None, commitment: Commitment, data: CommitmentInput
) -> CommitmentChange:
    """An official's change of a commitment's status, person responsible or date, kept in its history."""
    municipality = session.get(Organisation, commitment.municipality_id)
    if principal is None or not can(principal, "commitment.change", municipality):
        raise DomainError("", _("Only the municipality's officials change its commitments."), 403)
    if data.status not in COMMITMENT_STATUSES:
        raise DomainError("status", _("Choose the status of the commitment."))
    reason = data.reason.strip()
    responsible = data.responsible.strip()
    if data.status == "dropped" and not reason:
        raise DomainError("reason", _("Say why the commitment is dropped: residents read the reason."))
    if data.status != "dropped":
        reason = ""
    same = (
        data.status == commitment.status
        and reason == commitment.reason
        and responsible == commitment.responsible
        and data.due_on == commitment.due_on
    )
    if same:
        raise DomainError("status", _("Nothing has changed: choose another status, person responsible or date."))
    now = utcnow()
    change = CommitmentChange(
        commitment_id=commitment.id,
        from_status=commitment.status,
        to_status=data.status,
        reason=reason,
        responsible=responsible,
        due_on=data.due_on,
        changed_by_id=principal.id,
        changed_at=now,
    )
    if data.status != commitment.status:
        commitment.status_changed_at = now
    commitment.status, commitment.reason = data.status, reason
    commitment.responsible, commitment.due_on = responsible, data.due_on
    session.add_all([commitment, change])
    ledger.append(
        session,
        actor_id=principal.id,
        action="commitment.changed",
        subject_kind="commitment",
        subject_id=commitment.id,
        payload={
            "from": change.from_status,
            "to": change.to_status,
            "reason_sha256": ledger.sha256_hex(reason),
            "responsible_sha256": ledger.sha256_hex(responsible),  # may name a person: never in clear
            "due_on": data.due_on.isoformat() if data.due_on else None,
        },
    )
    session.commit()
    return change
