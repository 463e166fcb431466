"""The council's answer to every contribution: giving, sharing, changing and detaching answers.

Answers are given only after the consultation closes (while it is open a contribution may still change or be
withdrawn), only by an official of the consulting municipality, and can change until the record is published.
What a contribution is, and the queries listing them, live in `consult.answers.contributions` (re-exported here).
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from consult import ledger
from consult.answers.contributions import (
    GENERAL,
    KINDS,
    NO_ORGANISATION,
    PER_PAGE,
    POSITION_LABELS,
    AnswerView,
    Contribution,
    ContributionFilter,
    Progress,
    Ref,
    Review,
    contributions,
    count_contributions,
    get_contribution,
    page_of,
    parse_ref,
    position_label,
    progress,
    public_answers,
    ref_text,
    review,
)
from consult.consultations.actions import is_frozen, require_unfrozen, status_of
from consult.forms import DomainError, invalid
from consult.i18n import _
from consult.models import POSITIONS, Answer, AnswerLink, Consultation, Organisation, utcnow
from consult.permissions import Principal, can

__all__ = [
    "GENERAL", "KINDS", "NO_ORGANISATION", "PER_PAGE", "POSITIONS", "POSITION_LABELS", "AnswerInput", "AnswerView",
    "Contribution", "ContributionFilter", "Progress", "Ref", "Review", "answer_contribution", "answer_together",
    "attach_to_answer", "contributions", "count_contributions", "detach_contribution", "get_contribution",
    "may_answer_now", "page_of", "parse_ref", "position_label", "progress", "public_answers", "ref_text", "review",
]  # fmt: skip


class AnswerInput(BaseModel):
    position: str = ""
    justification: str = Field(default="", max_length=20_000)

    @field_validator("position")
    @classmethod
    def _position(cls, value: str) -> str:
        if value not in POSITIONS:
            raise invalid(_("Choose the position on the contribution."))
        return value


# --- rules --------------------------------------------------------------------------------


def may_answer_now(session: Session, consultation: Consultation) -> bool:
    """Answers are given once the consultation has closed, until its record is published."""
    closed = consultation.published_at is not None and status_of(consultation) == "closed"
    return closed and not is_frozen(session, consultation)


def _require_answerer(session: Session, principal: Principal | None, consultation: Consultation) -> Principal:
    municipality = session.get(Organisation, consultation.organisation_id)
    if principal is None or not can(principal, "consultation.manage", municipality):
        raise DomainError("", _("Only the officials of the consulting municipality answer contributions."), 403)
    require_unfrozen(session, consultation)
    if consultation.published_at is None or status_of(consultation) != "closed":
        raise DomainError("", _("Contributions are answered after the consultation closes."), 409)
    return principal


def _check_justification(data: AnswerInput) -> None:
    if data.position != "accepted" and not data.justification.strip():
        raise DomainError("justification", _("Give the justification of the position (not needed when accepted)."))


def _targets(
    session: Session, consultation: Consultation, refs: list[Ref], *, need_answer: bool = True
) -> list[Contribution]:
    refs = list(dict.fromkeys(refs))
    if not refs:
        raise DomainError("selected", _("Select at least one contribution."))
    found = contributions(session, consultation, refs=refs)
    if len(found) != len(refs):
        raise DomainError("", _("This contribution is not part of the consultation."), 404)
    if need_answer and any(not c.needs_answer for c in found):
        raise DomainError("", _("A withdrawn or hidden contribution needs no answer."), 409)
    return found


def _payload(answer: Answer, covers: list[Ref], **extra: list[str]) -> dict:
    """What the ledger binds: the position, the justification's hash and the contributions covered."""
    return {
        "position": answer.position,
        "justification_sha256": ledger.sha256_hex(answer.justification),
        "contributions": sorted(ref_text(r) for r in covers),
        **extra,
    }


def _link(consultation: Consultation, answer: Answer, target: Contribution) -> AnswerLink:
    return AnswerLink(
        answer_id=answer.id, consultation_id=consultation.id, contribution_kind=target.kind, contribution_id=target.id
    )


def _release(session: Session, principal: Principal, moved: list[Contribution]) -> None:
    """Take contributions off the answers they had; an answer left covering nothing is deleted."""
    by_answer: dict[int, set[Ref]] = {}
    for contribution in moved:
        if contribution.answer is not None:
            by_answer.setdefault(contribution.answer.id, set()).add(contribution.ref)
    for answer_id, refs in sorted(by_answer.items()):
        answer = session.get(Answer, answer_id)
        remaining = []
        for link in session.exec(select(AnswerLink).where(AnswerLink.answer_id == answer_id)).all():
            if (link.contribution_kind, link.contribution_id) in refs:
                session.delete(link)
            else:
                remaining.append((link.contribution_kind, link.contribution_id))
        payload = _payload(answer, remaining, detached=sorted(ref_text(r) for r in refs))
        ledger.append(
            session,
            actor_id=principal.id,
            action="answer.changed",
            subject_kind="answer",
            subject_id=answer_id,
            payload=payload,
        )
        session.flush()
        if not remaining:
            session.delete(answer)
    session.flush()


def _tell(session: Session, consultation: Consultation, refs: list[Ref]) -> None:
    """Those who made the contributions are told of their position, in the same transaction (consult/notifications)."""
    from consult.notifications import events

    events.positions_given(session, consultation, refs)


def _commit(session: Session, pending: list[AnswerLink]) -> None:
    """Store the new links and commit: the unique constraint keeps one answer per contribution under any race."""
    try:
        session.add_all(pending)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        message = _("Someone else has just answered this contribution. Reload the page to see the answer.")
        raise DomainError("", message, 409) from exc


def _give(
    session: Session, principal: Principal, consultation: Consultation, targets: list[Contribution], data: AnswerInput
) -> Answer:
    _release(session, principal, targets)
    answer = Answer(
        consultation_id=consultation.id,
        position=data.position,
        justification=data.justification.strip(),
        answered_by_id=principal.id,
    )
    session.add(answer)
    session.flush()
    ledger.append(
        session,
        actor_id=principal.id,
        action="answer.given",
        subject_kind="answer",
        subject_id=answer.id,
        payload=_payload(answer, [t.ref for t in targets]),
    )
    _tell(session, consultation, [t.ref for t in targets])
    _commit(session, [_link(consultation, answer, t) for t in targets])
    return answer


# --- actions ------------------------------------------------------------------------------


def answer_contribution(
    session: Session, principal: Principal | None, consultation: Consultation, ref: Ref, data: AnswerInput
) -> Answer:
    """Give a contribution its answer, or change the answer it has (for every contribution that answer covers)."""
    principal = _require_answerer(session, principal, consultation)
    _check_justification(data)
    [target] = _targets(session, consultation, [ref])
    if target.answer is None:
        return _give(session, principal, consultation, [target], data)
    answer = session.get(Answer, target.answer.id)
    answer.position, answer.justification = data.position, data.justification.strip()
    answer.answered_by_id, answer.updated_at = principal.id, utcnow()
    session.add(answer)
    ledger.append(
        session,
        actor_id=principal.id,
        action="answer.changed",
        subject_kind="answer",
        subject_id=answer.id,
        payload=_payload(answer, list(target.answer.covers)),
    )
    _tell(session, consultation, list(target.answer.covers))
    _commit(session, [])
    return answer


def answer_together(
    session: Session, principal: Principal | None, consultation: Consultation, refs: list[Ref], data: AnswerInput
) -> Answer:
    """One new answer to several contributions that say the same (taking them off any answer they had)."""
    principal = _require_answerer(session, principal, consultation)
    _check_justification(data)
    return _give(session, principal, consultation, _targets(session, consultation, refs), data)


def attach_to_answer(
    session: Session, principal: Principal | None, consultation: Consultation, refs: list[Ref], answer_id: int
) -> Answer:
    """Let contributions share an existing answer: from now on they have its position and justification."""
    principal = _require_answerer(session, principal, consultation)
    answer = session.get(Answer, answer_id)
    if answer is None or answer.consultation_id != consultation.id:
        raise DomainError("", _("This answer is not part of the consultation."), 404)
    targets = _targets(session, consultation, refs)
    covered = [(x.contribution_kind, x.contribution_id) for x in _links_of(session, answer.id)]
    targets = [t for t in targets if t.ref not in covered]
    _release(session, principal, targets)
    answer.updated_at = utcnow()
    session.add(answer)
    ledger.append(
        session,
        actor_id=principal.id,
        action="answer.changed",
        subject_kind="answer",
        subject_id=answer.id,
        payload=_payload(answer, covered + [t.ref for t in targets], attached=sorted(t.key for t in targets)),
    )
    _tell(session, consultation, [t.ref for t in targets])
    _commit(session, [_link(consultation, answer, t) for t in targets])
    return answer


def detach_contribution(session: Session, principal: Principal | None, consultation: Consultation, ref: Ref) -> None:
    """Take a contribution off its answer: it is unanswered again, and the others that answer covers keep it."""
    principal = _require_answerer(session, principal, consultation)
    [target] = _targets(session, consultation, [ref], need_answer=False)
    if target.answer is None:
        raise DomainError("", _("This contribution has no answer to detach it from."), 409)
    _release(session, principal, [target])
    _commit(session, [])


def _links_of(session: Session, answer_id: int) -> list[AnswerLink]:
    return list(session.exec(select(AnswerLink).where(AnswerLink.answer_id == answer_id)).all())
