"""The official's desk: the consultations of the municipalities one works for, each with what it needs next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from consult.consultations.actions import status_of
from consult.models import (
    DOCUMENT_THREADS,
    AnswerLink,
    Comment,
    Consultation,
    Organisation,
    Proposal,
    Record,
    Thread,
    utcnow,
)
from consult.permissions import Principal, can

# The stages of the desk, in the order it lists them; each consultation is in exactly one.
STAGES = ("draft", "scheduled", "open", "answering", "record", "published", "cancelled")


@dataclass(frozen=True)
class DeskRow:
    consultation: Consultation
    municipality: Organisation
    stage: str
    contributions: int  # that need an answer (visible root comments and proposals)
    answered: int

    @property
    def unanswered(self) -> int:
        return self.contributions - self.answered


def managed_municipalities(session: Session, principal: Principal | None) -> list[Organisation]:
    """The municipalities whose consultations this person runs (all of them for a platform admin)."""
    if principal is None:
        return []
    query = select(Organisation).where(Organisation.kind == "municipality")
    if not principal.is_admin:
        query = query.where(col(Organisation.id).in_(list(principal.roles) or [-1]))
    return [
        o for o in session.exec(query.order_by(Organisation.name)).all() if can(principal, "consultation.manage", o)
    ]


def _counts(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    """(contributions needing an answer, answered) by consultation, in two queries."""
    found: dict[int, tuple[int, int]] = {}
    if not ids:
        return found
    comments = (
        select(Thread.consultation_id, func.count(col(Comment.id)), func.count(col(AnswerLink.id)))
        .join(Thread, col(Thread.id) == Comment.thread_id)
        .outerjoin(
            AnswerLink, and_(AnswerLink.contribution_kind == "comment", AnswerLink.contribution_id == Comment.id)
        )
        .where(
            col(Thread.consultation_id).in_(ids),
            col(Thread.owner_kind).in_(DOCUMENT_THREADS),
            col(Comment.parent_id).is_(None),
            Comment.status == "visible",
        )
        .group_by(Thread.consultation_id)
    )
    proposals = (
        select(Proposal.consultation_id, func.count(col(Proposal.id)), func.count(col(AnswerLink.id)))
        .outerjoin(
            AnswerLink, and_(AnswerLink.contribution_kind == "proposal", AnswerLink.contribution_id == Proposal.id)
        )
        .where(col(Proposal.consultation_id).in_(ids), Proposal.status == "visible")
        .group_by(Proposal.consultation_id)
    )
    for query in (comments, proposals):
        for consultation_id, total, answered in session.exec(query).all():
            before = found.get(consultation_id, (0, 0))
            found[consultation_id] = (before[0] + total, before[1] + answered)
    return found


def stage_of(consultation: Consultation, recorded: bool, unanswered: int, now: datetime) -> str:
    if consultation.published_at is None:
        return "draft"
    if recorded:
        return "published"
    if consultation.cancelled_at is not None:
        return "cancelled"
    state = status_of(consultation, now)
    if state != "closed":
        return state
    return "answering" if unanswered else "record"


def desk(session: Session, principal: Principal | None, now: datetime | None = None) -> list[DeskRow]:
    """The consultations of the municipalities this person runs, by stage, newest first within each; five queries."""
    municipalities = {m.id: m for m in managed_municipalities(session, principal)}
    if not municipalities:
        return []
    consultations = session.exec(
        select(Consultation)
        .where(col(Consultation.organisation_id).in_(list(municipalities)))
        .order_by(col(Consultation.opens_at).desc(), col(Consultation.id).desc())
    ).all()
    ids = [c.id for c in consultations]
    recorded = set(session.exec(select(Record.consultation_id).where(col(Record.consultation_id).in_(ids))).all())
    counts = _counts(session, ids)
    now = now or utcnow()
    rows = []
    for c in consultations:
        total, answered = counts.get(c.id, (0, 0))
        stage = stage_of(c, c.id in recorded, total - answered, now)
        rows.append(DeskRow(c, municipalities[c.organisation_id], stage, total, answered))
    return sorted(rows, key=lambda row: STAGES.index(row.stage))
