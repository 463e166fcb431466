"""Co-signatures: another organisation joins a contribution (a comment that starts a thread, or a proposal) while the
consultation is open, so a coalition speaks once and the record counts every co-signer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from pydantic import BaseModel
from sqlalchemy import and_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from consult import ledger
from consult.comments import annotations
from consult.comments.actions import CommentView, Gate
from consult.consultations.actions import gate_for, require_unfrozen
from consult.forms import DomainError
from consult.i18n import _
from consult.models import DOCUMENT_THREADS, Comment, Consultation, CoSignature, Organisation, Proposal, Thread
from consult.permissions import Principal, can

KINDS = ("comment", "proposal")


class CosignInput(BaseModel):
    organisation_id: int | None = None


class Signer(NamedTuple):
    """One co-signing organisation, as a page lists it, and who signed for it."""

    organisation_id: int
    name: str
    slug: str
    signed_by_id: int

    @property
    def signature(self) -> CoSignature:
        """The co-signature as the rules see it (`can(reader, "cosign.withdraw", signer.signature)`)."""
        return CoSignature(organisation_id=self.organisation_id, signed_by_id=self.signed_by_id)


@dataclass(frozen=True)
class Contribution:
    """What is co-signed, with the consultation it belongs to and that consultation's rules right now."""

    kind: str  # comment | proposal
    subject: Comment | Proposal
    consultation: Consultation
    municipality: Organisation
    gate: Gate
    cosignable: bool  # a comment starting a consultation thread, or a proposal (not a reply)

    @property
    def id(self) -> int:
        assert self.subject.id is not None
        return self.subject.id


# --- queries ------------------------------------------------------------------------------


def load_contribution(session: Session, kind: str, subject_id: int, now: datetime | None = None) -> Contribution | None:
    """The comment or proposal of this id with its consultation, or None when there is none."""
    if kind == "comment":
        row = session.exec(
            select(Comment, Thread.owner_kind, Consultation, Organisation)
            .join(Thread, col(Thread.id) == Comment.thread_id)
            .join(Consultation, col(Consultation.id) == Thread.consultation_id)
            .join(Organisation, col(Organisation.id) == Consultation.organisation_id)
            .where(Comment.id == subject_id)
        ).first()
        if row is None:
            return None
        subject, owner_kind, consultation, municipality = row
        cosignable = subject.parent_id is None and owner_kind in DOCUMENT_THREADS
    elif kind == "proposal":
        row = session.exec(
            select(Proposal, Consultation, Organisation)
            .join(Consultation, col(Consultation.id) == Proposal.consultation_id)
            .join(Organisation, col(Organisation.id) == Consultation.organisation_id)
            .where(Proposal.id == subject_id)
        ).first()
        if row is None:
            return None
        subject, consultation, municipality = row
        cosignable = True
    else:
        return None
    gate = gate_for(consultation, municipality, now)
    return Contribution(kind, subject, consultation, municipality, gate, cosignable)


def signers_of(session: Session, kind: str, ids: list[int]) -> dict[int, list[Signer]]:
    """The co-signers of each of these contributions, in order of signing, in one query."""
    if not ids:
        return {}
    rows = session.exec(
        select(CoSignature.subject_id, Organisation.id, Organisation.name, Organisation.slug, CoSignature.signed_by_id)
        .join(Organisation, col(Organisation.id) == CoSignature.organisation_id)
        .where(CoSignature.subject_kind == kind, col(CoSignature.subject_id).in_(ids))
        .order_by(col(CoSignature.created_at), col(CoSignature.id))
    ).all()
    found: dict[int, list[Signer]] = {}
    for subject_id, organisation_id, name, slug, signed_by_id in rows:
        found.setdefault(subject_id, []).append(Signer(organisation_id, name, slug, signed_by_id))
    return found


def cosigners_of(session: Session, kind: str, ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """The co-signing organisations (name, slug) of each of these contributions, in one query."""
    return {
        subject_id: [(s.name, s.slug) for s in signers]
        for subject_id, signers in signers_of(session, kind, ids).items()
    }


def _annotate_comments(session: Session, views: list[CommentView]) -> None:
    """view.extras["signers"] for each comment that starts a consultation thread (a contribution), in one query."""
    roots = [v for v in views if v.comment.parent_id is None]
    if not roots:
        return
    rows = session.exec(
        select(Comment.id, Organisation.id, Organisation.name, Organisation.slug, CoSignature.signed_by_id)
        .join(Thread, col(Thread.id) == Comment.thread_id)
        .outerjoin(
            CoSignature,
            and_(col(CoSignature.subject_kind) == "comment", col(CoSignature.subject_id) == Comment.id),
        )
        .outerjoin(Organisation, col(Organisation.id) == CoSignature.organisation_id)
        .where(col(Comment.id).in_([v.id for v in roots]), col(Thread.owner_kind).in_(DOCUMENT_THREADS))
        .order_by(col(CoSignature.created_at), col(CoSignature.id))
    ).all()
    found: dict[int, list[Signer]] = {}
    for comment_id, organisation_id, name, slug, signed_by_id in rows:
        signers = found.setdefault(comment_id, [])
        if organisation_id is not None:
            signers.append(Signer(organisation_id, name, slug, signed_by_id))
    for view in roots:
        if view.id in found:
            view.extras["signers"] = found[view.id]


annotations.register("cosign", _annotate_comments)


# --- rules --------------------------------------------------------------------------------


def _require_member(principal: Principal | None) -> Principal:
    if principal is None:
        raise DomainError("", _("Log in to take part."), 403)
    if principal.user.confirmed_at is None:
        raise DomainError("", _("Confirm your e-mail address first: open the link we sent you."), 403)
    return principal


def _require_open(session: Session, contribution: Contribution) -> None:
    require_unfrozen(session, contribution.consultation)
    if not contribution.gate.open:
        raise DomainError("", _("Co-signatures can be added or withdrawn only while the consultation is open."), 409)


def _signing_organisation(session: Session, principal: Principal, organisation_id: int | None) -> Organisation:
    if organisation_id is None:
        raise DomainError("organisation_id", _("Choose the organisation on whose behalf you co-sign."))
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not can(principal, "organisation.act_for", organisation):
        raise DomainError("organisation_id", _("You can co-sign only on behalf of an organisation you belong to."), 403)
    return organisation


# --- actions ------------------------------------------------------------------------------


def cosign_contribution(
    session: Session, principal: Principal | None, contribution: Contribution, data: CosignInput
) -> CoSignature:
    """The organisation joins the contribution: once, not its own, only a visible one, only while open."""
    principal = _require_member(principal)
    _require_open(session, contribution)
    organisation = _signing_organisation(session, principal, data.organisation_id)
    if not contribution.cosignable:
        raise DomainError("", _("Only a comment that starts a discussion, or a proposal, can be co-signed."), 409)
    if contribution.subject.status != "visible":
        raise DomainError("", _("A withdrawn or hidden contribution cannot be co-signed."), 409)
    if contribution.gate.verified_only and organisation.verified_at is None:
        raise DomainError("organisation_id", _("Only verified organisations take part in this consultation."), 403)
    if organisation.id == contribution.municipality.id:
        raise DomainError("organisation_id", _("The municipality that consults cannot co-sign contributions."), 409)
    if organisation.id == contribution.subject.organisation_id:
        raise DomainError(
            "organisation_id",
            _("%(name)s submitted this contribution: it cannot co-sign it too."),
            409,
            name=organisation.name,
        )
    already = _("%(name)s has already co-signed this contribution.")
    if _find(session, contribution, organisation.id) is not None:
        raise DomainError("organisation_id", already, 409, name=organisation.name)
    signature = CoSignature(
        subject_kind=contribution.kind,
        subject_id=contribution.id,
        organisation_id=organisation.id,
        signed_by_id=principal.id,
    )
    session.add(signature)
    try:
        session.flush()  # the unique constraint decides between two requests that passed the check together
    except IntegrityError as exc:
        session.rollback()
        raise DomainError("organisation_id", already, 409, name=organisation.name) from exc
    ledger.append(
        session,
        actor_id=principal.id,
        action="cosign.added",
        subject_kind=contribution.kind,
        subject_id=contribution.id,
        payload={"organisation": organisation.id, "consultation": contribution.consultation.id},
    )
    session.commit()
    return signature


def withdraw_cosignature(
    session: Session, principal: Principal | None, contribution: Contribution, data: CosignInput
) -> Organisation:
    """The organisation takes back its co-signature, while the consultation is open."""
    principal = _require_member(principal)
    _require_open(session, contribution)
    organisation = _signing_organisation(session, principal, data.organisation_id)
    signature = _find(session, contribution, organisation.id)
    if signature is None:
        raise DomainError(
            "organisation_id", _("%(name)s has not co-signed this contribution."), 409, name=organisation.name
        )
    if not can(principal, "cosign.withdraw", signature):
        raise DomainError(
            "organisation_id",
            _("Only an admin of %(name)s or the person who co-signed can withdraw this co-signature."),
            403,
            name=organisation.name,
        )
    session.delete(signature)
    ledger.append(
        session,
        actor_id=principal.id,
        action="cosign.withdrawn",
        subject_kind=contribution.kind,
        subject_id=contribution.id,
        payload={"organisation": organisation.id, "consultation": contribution.consultation.id},
    )
    session.commit()
    return organisation


def _find(session: Session, contribution: Contribution, organisation_id: int) -> CoSignature | None:
    return session.exec(
        select(CoSignature).where(
            CoSignature.subject_kind == contribution.kind,
            CoSignature.subject_id == contribution.id,
            CoSignature.organisation_id == organisation_id,
        )
    ).first()
