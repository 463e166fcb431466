"""Votes on proposals: one per organisation (a unique constraint), for, against or abstain, changeable until the close.

Who votes for an organisation is consult.organisations.voting's rule: its admins and the members they designate.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from consult import ledger
from consult.comments.actions import Gate
from consult.consultations.actions import is_frozen, require_unfrozen
from consult.forms import DomainError
from consult.i18n import _
from consult.models import VOTE_CHOICES, Consultation, Organisation, Proposal, Vote, utcnow
from consult.organisations.voting import may_vote_for, voting_organisations
from consult.permissions import Principal
from consult.proposals.actions import gate_of, require_member, window_refusal
from consult.throttle import check_rate

CHOICE_LABELS = {"for": _("For"), "against": _("Against"), "abstain": _("Abstain")}  # the options of the form
VOTED_LABELS = {"for": _("for"), "against": _("against"), "abstain": _("abstention")}  # how an organisation voted
INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class VoteInput(BaseModel):
    organisation_id: int
    choice: str = ""


# --- queries ------------------------------------------------------------------------------


def voter_options(session: Session, principal: Principal | None, consultation: Consultation) -> list[Organisation]:
    """The organisations this person may vote for in this consultation."""
    if principal is None:
        return []
    gate = gate_of(session, consultation)
    return [
        o
        for o in voting_organisations(session, principal.id)
        if o.id != consultation.organisation_id and (not gate.verified_only or o.verified_at is not None)
    ]


def votes_of(session: Session, proposal_id: int, organisation_ids: list[int]) -> dict[int, Vote]:
    """The votes of these organisations on the proposal (of those that voted), by organisation."""
    if not organisation_ids:
        return {}
    rows = session.exec(
        select(Vote).where(Vote.proposal_id == proposal_id, col(Vote.organisation_id).in_(organisation_ids))
    ).all()
    return {v.organisation_id: v for v in rows}


def our_votes(
    session: Session, principal: Principal | None, proposal_ids: list[int]
) -> dict[int, list[tuple[str, str]]]:
    """How the reader's organisations voted on each of these proposals: (organisation, choice), in one query."""
    if principal is None or not principal.roles or not proposal_ids:
        return {}
    rows = session.exec(
        select(Vote.proposal_id, Organisation.name, Vote.choice)
        .join(Organisation, col(Organisation.id) == Vote.organisation_id)
        .where(col(Vote.proposal_id).in_(proposal_ids), col(Vote.organisation_id).in_(list(principal.roles)))
        .order_by(col(Organisation.name))
    ).all()
    found: dict[int, list[tuple]] = {}
    for proposal_id, name, choice in rows:
        found.setdefault(proposal_id, []).append((name, choice))
    return found


# --- rules --------------------------------------------------------------------------------


def _check_voter(session: Session, principal: Principal, consultation: Consultation, gate: Gate, org_id: int) -> None:
    if org_id == consultation.organisation_id:
        raise DomainError(
            "organisation_id", _("The municipality does not vote on proposals in its own consultation."), 403
        )
    organisation = session.get(Organisation, org_id)
    if organisation is None or not may_vote_for(session, principal, org_id):
        raise DomainError(
            "organisation_id",
            _("You can vote only for an organisation whose admin you are or whose admins designated you to vote."),
            403,
        )
    if gate.verified_only and organisation.verified_at is None:
        raise DomainError("organisation_id", _("Only verified organisations take part in this consultation."), 403)


HIDDEN_NO_VOTES = _("This proposal was hidden by the moderators: it can no longer be voted on.")


def _check_proposal_open(proposal_status: str) -> None:
    if proposal_status == "hidden":
        raise DomainError("", HIDDEN_NO_VOTES, 409)
    if proposal_status != "visible":
        raise DomainError("", _("This proposal was withdrawn by its author: it can no longer be voted on."), 409)


def _upsert(session: Session, proposal_id: int, organisation_id: int, choice: str, user_id: int) -> int:
    """INSERT … ON CONFLICT (proposal_id, organisation_id) DO UPDATE: one row per organisation, whoever comes first."""
    table = Vote.__table__
    now = utcnow()
    insert = INSERTS[session.get_bind().dialect.name](table).values(
        proposal_id=proposal_id,
        organisation_id=organisation_id,
        choice=choice,
        cast_by_id=user_id,
        created_at=now,
        updated_at=now,
    )
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.proposal_id, table.c.organisation_id],
        set_={
            "choice": insert.excluded.choice,
            "cast_by_id": insert.excluded.cast_by_id,
            "updated_at": insert.excluded.updated_at,
        },
    ).returning(table.c.id)
    return session.exec(statement).scalar_one()


# --- actions ------------------------------------------------------------------------------


def cast_vote(
    session: Session, principal: Principal | None, proposal: Proposal, organisation_id: int, choice: str
) -> Vote:
    """The organisation's vote on the proposal, cast or changed; concurrent casts leave one row."""
    principal = require_member(principal)
    consultation = session.get(Consultation, proposal.consultation_id)
    require_unfrozen(session, consultation)
    if refusal := window_refusal(consultation):
        raise DomainError("", refusal, 409)
    _check_proposal_open(proposal.status)
    _check_voter(session, principal, consultation, gate_of(session, consultation), organisation_id)
    if choice not in VOTE_CHOICES:
        raise DomainError("choice", _("Choose for, against or abstain."))
    # End the reading transaction, so the write below is the first statement of its own: SQLite then waits for the
    # write lock (busy_timeout) instead of refusing a write from a snapshot another vote has made stale.
    session.commit()
    check_rate(session, "vote.cast", f"user:{principal.id}")  # writes: the first statement of the transaction
    vote_id = _upsert(session, proposal.id, organisation_id, choice, principal.id)
    # What was checked above, again under the write lock: a withdrawal or a published record in between wins.
    status = session.exec(select(Proposal.status).where(Proposal.id == proposal.id)).one()
    if status != "visible" or is_frozen(session, consultation):
        session.rollback()
        require_unfrozen(session, consultation)
        _check_proposal_open(status)
    ledger.append(
        session,
        actor_id=principal.id,
        action="vote.cast",
        subject_kind="vote",
        subject_id=vote_id,
        payload={"proposal": proposal.id, "organisation": organisation_id, "choice": choice},
    )
    session.commit()
    return session.get(Vote, vote_id, populate_existing=True)
