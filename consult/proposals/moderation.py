"""Hiding a proposal with a public reason, and restoring it: the same people who moderate the consultation's comments
(its municipality's officials and the platform's admins), until the record is published, each step in the ledger.

A hidden proposal stays where it was, its title and text replaced by the reason; it takes no votes and its discussion
is closed; the review screen and the record list it as hidden, as they do a hidden comment.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlmodel import Session

from consult import ledger
from consult.consultations.actions import is_frozen, require_unfrozen
from consult.forms import DomainError
from consult.i18n import _
from consult.models import Consultation, Organisation, Proposal
from consult.permissions import Principal, can

ONLY_MODERATORS = _("Only the municipality's officials and the platform's admins moderate proposals.")


class ProposalModerationInput(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


def may_moderate(session: Session, principal: Principal | None, consultation: Consultation) -> bool:
    """Whether this person may hide and restore the consultation's proposals now (not once its record is out)."""
    municipality = session.get(Organisation, consultation.organisation_id)
    return can(principal, "comment.moderate", municipality) and not is_frozen(session, consultation)


def _moderator(session: Session, principal: Principal | None, consultation: Consultation) -> Principal:
    municipality = session.get(Organisation, consultation.organisation_id)
    if principal is None or not can(principal, "comment.moderate", municipality):
        raise DomainError("", ONLY_MODERATORS, 403)
    require_unfrozen(session, consultation)
    return principal


def hide_proposal(
    session: Session,
    principal: Principal | None,
    proposal: Proposal,
    consultation: Consultation,
    data: ProposalModerationInput,
) -> Proposal:
    principal = _moderator(session, principal, consultation)
    if proposal.status != "visible":
        raise DomainError("", _("Only a visible proposal can be hidden."), 409)
    proposal.status, proposal.moderation_reason = "hidden", data.reason
    session.add(proposal)
    ledger.append(
        session,
        actor_id=principal.id,
        action="proposal.hidden",
        subject_kind="proposal",
        subject_id=proposal.id,
        payload={"consultation": consultation.id, "reason": data.reason},
    )
    session.commit()
    return proposal


def restore_proposal(
    session: Session, principal: Principal | None, proposal: Proposal, consultation: Consultation
) -> Proposal:
    principal = _moderator(session, principal, consultation)
    if proposal.status != "hidden":
        raise DomainError("", _("Only a hidden proposal can be restored."), 409)
    proposal.status, proposal.moderation_reason = "visible", ""
    session.add(proposal)
    ledger.append(
        session,
        actor_id=principal.id,
        action="proposal.restored",
        subject_kind="proposal",
        subject_id=proposal.id,
        payload={"consultation": consultation.id},
    )
    session.commit()
    return proposal
