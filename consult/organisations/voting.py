"""Who votes for an organisation on proposals: its admins always, and the members its admins designate."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from consult import ledger
from consult.forms import DomainError
from consult.i18n import _
from consult.models import Membership, Organisation
from consult.permissions import Principal, can


def may_vote_for(session: Session, principal: Principal | None, organisation_id: int) -> bool:
    if principal is None:
        return False
    row = session.exec(
        select(Membership.role, Membership.votes).where(
            Membership.organisation_id == organisation_id, Membership.user_id == principal.id
        )
    ).first()
    return row is not None and (row[0] == "admin" or bool(row[1]))


def voting_organisations(session: Session, user_id: int) -> list[Organisation]:
    """The organisations this person may vote for, by name."""
    return list(
        session.exec(
            select(Organisation)
            .join(Membership, col(Membership.organisation_id) == Organisation.id)
            .where(Membership.user_id == user_id, or_(Membership.role == "admin", col(Membership.votes).is_(True)))
            .order_by(func.lower(Organisation.name))
        ).all()
    )


def set_voting(
    session: Session, principal: Principal | None, organisation: Organisation, membership_id: int, votes: bool
) -> Membership:
    """An admin designates a member to vote for the organisation, or takes the designation back."""
    if principal is None or not can(principal, "organisation.manage_members", organisation):
        raise DomainError("", _("You do not have permission to do this."), 403)
    membership = session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation.id:
        raise DomainError("", _("This person is not a member of the organisation."), 404)
    if membership.votes != votes:
        membership.votes = votes
        session.add(membership)
        ledger.append(
            session,
            actor_id=principal.id,
            action="membership.voting_changed",
            subject_kind="organisation",
            subject_id=organisation.id,
            payload={"user": membership.user_id, "votes": votes},
        )
        session.commit()
    return membership
