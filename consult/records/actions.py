"""Publishing a consultation's record, once: its snapshot is taken then, and its PDF queued for the worker."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from consult import ledger
from consult.answers.contributions import Contribution, contributions, progress
from consult.commitments.actions import create_commitments
from consult.consultations.actions import is_frozen, status_of
from consult.forms import DomainError
from consult.i18n import _
from consult.models import (
    Consultation,
    Organisation,
    Record,
    utcnow,
)
from consult.permissions import Principal, can
from consult.records import snapshot
from consult.records.snapshot import BrokenRecord, verify_records

MISSING_SHOWN = 50
__all__ = ["BrokenRecord", "verify_records"]  # kept importable from here


class RecordInput(BaseModel):
    conclusion: str = Field(default="", max_length=20_000)


# --- queries ------------------------------------------------------------------------------


def get_record(session: Session, consultation: Consultation) -> Record | None:
    return session.exec(select(Record).where(Record.consultation_id == consultation.id)).first()


def recent_records(session: Session, limit: int = 5) -> list[tuple[Record, Consultation, Organisation]]:
    """The newest published records with their consultation and municipality (the home page's outcomes)."""
    return list(
        session.exec(
            select(Record, Consultation, Organisation)
            .join(Consultation, col(Consultation.id) == Record.consultation_id)
            .join(Organisation, col(Organisation.id) == Consultation.organisation_id)
            .order_by(col(Record.published_at).desc())
            .limit(limit)
        ).all()
    )


def record_hashes(session: Session, consultation_ids: list[int]) -> dict[int, str]:
    """The published records' hashes of these consultations, in one query."""
    if not consultation_ids:
        return {}
    rows = session.exec(
        select(Record.consultation_id, Record.sha256).where(col(Record.consultation_id).in_(consultation_ids))
    ).all()
    return dict(rows)


def missing_answers(session: Session, consultation: Consultation) -> tuple[list[Contribution], int]:
    """The first contributions without a position (withdrawn and hidden ones need none), and how many in all."""
    state = progress(session, consultation)
    first = contributions(session, consultation, limit=MISSING_SHOWN)  # unanswered come first
    return [c for c in first if c.needs_answer and c.answer is None], state.total - state.answered


# --- actions ------------------------------------------------------------------------------


def publish_record(
    session: Session, principal: Principal | None, consultation: Consultation, data: RecordInput
) -> Record:
    """Publish the record once the consultation is closed and every contribution has a position; it freezes."""
    municipality = session.get(Organisation, consultation.organisation_id)
    if not can(principal, "consultation.manage", municipality):
        raise DomainError("", _("Only the municipality's officials publish the record."), 403)
    if is_frozen(session, consultation):
        raise DomainError("", _("The record of this consultation is already published."), 409)
    if consultation.published_at is None or status_of(consultation) != "closed":
        raise DomainError("", _("The record can be published only after the consultation closes."), 409)
    _missing, total = missing_answers(session, consultation)
    if total:
        raise DomainError(
            "", _("%(num)s contributions have no position yet. Answer them before publishing."), 409, num=total
        )
    last = ledger.head(session)
    record = Record(
        consultation_id=consultation.id,
        published_at=utcnow(),
        published_by_id=principal.id,
        conclusion=data.conclusion.strip(),
        sha256="",
        ledger_seq=last.seq if last else None,
        ledger_hash=last.hash if last else "",
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError as exc:  # another official published it a moment ago
        session.rollback()
        raise DomainError("", _("The record of this consultation is already published."), 409) from exc
    # The snapshot: every format is made from these bytes from now on, never from the live tables.
    record.sha256 = snapshot.take(session, record, snapshot.built(session, record, consultation, municipality))
    session.add(record)
    ledger.append(
        session,
        actor_id=principal.id,
        action="record.published",
        subject_kind="consultation",
        subject_id=consultation.id,
        payload={"sha256": record.sha256, "ledger_seq": record.ledger_seq},
    )
    # What the municipality accepted becomes a commitment, followed until done (consult/commitments).
    create_commitments(session, consultation, principal.id)
    from consult.notifications import events  # those who took part are told

    events.record_published(session, consultation)
    try:
        session.commit()
    except IntegrityError as exc:  # another official published it a moment ago
        session.rollback()
        raise DomainError("", _("The record of this consultation is already published."), 409) from exc
    return record
