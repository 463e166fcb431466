"""Proposals in a consultation: submitted by participants or entered by officials, withdrawn, listed with tallies.

Votes live in votes.py; a proposal's discussion is a comment thread (threads.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from consult import ledger
from consult.comments.actions import Gate, check_speaker
from consult.consultations.actions import current_version, gate_for, require_unfrozen, status_of
from consult.forms import DomainError, invalid
from consult.i18n import _
from consult.markdown import render_markdown
from consult.models import (
    CHANNELS,
    Consultation,
    Organisation,
    Paragraph,
    Proposal,
    Thread,
    User,
    Vote,
    utcnow,
)
from consult.permissions import Principal, can
from consult.throttle import check_rate

PAGE_SIZE = 20
SORTS = ("support", "newest")
OUTSIDE_CHANNELS = tuple(c for c in CHANNELS if c != "platform")
ZONE = ZoneInfo("Europe/Warsaw")
ONLY_OFFICIALS = _("Only the municipality's officials enter proposals received outside the platform.")
# Suggestions for the category: the public tasks of art. 4 ust. 1 of the act on public benefit activity that
# cooperation programmes most often make priorities. Free text: a municipality may name its own.
CATEGORIES = (
    "pomoc społeczna",
    "działalność na rzecz osób z niepełnosprawnością",
    "działalność na rzecz osób w wieku emerytalnym",
    "ochrona i promocja zdrowia",
    "kultura, sztuka, ochrona dóbr kultury i dziedzictwa narodowego",
    "wspieranie i upowszechnianie kultury fizycznej",
    "nauka, szkolnictwo wyższe, edukacja, oświata i wychowanie",
    "wypoczynek dzieci i młodzieży",
    "turystyka i krajoznawstwo",
    "ekologia i ochrona zwierząt oraz ochrona dziedzictwa przyrodniczego",
    "ratownictwo i ochrona ludności",
    "przeciwdziałanie uzależnieniom i patologiom społecznym",
    "działalność wspomagająca rozwój wspólnot i społeczności lokalnych",
    "działalność na rzecz organizacji pozarządowych",
)


class ProposalInput(BaseModel):
    title: str = Field(min_length=3, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)
    organisation_id: int | None = None
    paragraph_key: str = Field(default="", max_length=20)
    category: str = Field(default="", max_length=200)


class OutsideProposalInput(ProposalInput):
    """A proposal that reached the municipality on paper, by e-mail or at a meeting, entered by an official."""

    organisation_id: int
    channel: str
    received_at: date

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if value not in OUTSIDE_CHANNELS:
            raise invalid(_("Choose how the proposal reached the municipality."))
        return value


@dataclass(frozen=True)
class Tally:
    for_: int = 0
    against: int = 0
    abstain: int = 0

    @property
    def total(self) -> int:
        return self.for_ + self.against + self.abstain


@dataclass(frozen=True)
class ProposalView:
    """One proposal as pages show it: who submitted it, where it points, how organisations voted."""

    proposal: Proposal
    organisation: str | None
    organisation_slug: str | None
    author: str
    tally: Tally
    paragraph_label: str | None

    @property
    def id(self) -> int:
        return self.proposal.id


# --- queries ------------------------------------------------------------------------------


def window_refusal(consultation: Consultation, now: datetime | None = None) -> str | None:
    """Why proposals and votes are not taken now (a msgid), or None while the consultation is open."""
    if consultation.published_at is None:
        return _("This consultation is not published yet.")
    state = status_of(consultation, now)
    if state == "scheduled":
        return _("This consultation has not opened yet. Proposals and votes are taken once it opens.")
    if state == "closed":
        return _("This consultation is closed. Proposals can no longer be submitted and votes can no longer be cast.")
    return None


def gate_of(session: Session, consultation: Consultation, now: datetime | None = None) -> Gate:
    """The consultation's gate (who may take part), with the proposals' own message when it is not open."""
    municipality = session.get(Organisation, consultation.organisation_id)
    gate = gate_for(consultation, municipality, now)
    refusal = window_refusal(consultation, now)
    return Gate(gate.open, refusal or "", gate.allow_individuals, gate.verified_only, gate.moderator)


def paragraph_options(session: Session, consultation: Consultation) -> list[tuple[str, str]]:
    """(key, label) of the current version's paragraphs, in document order."""
    version = current_version(session, consultation)
    if version is None:
        return []
    rows = session.exec(
        select(Paragraph.key, Paragraph.label).where(Paragraph.version_id == version.id).order_by(Paragraph.position)
    ).all()
    return [(key, label) for key, label in rows]


def _tally_columns():
    def count(choice: str):
        return func.coalesce(func.sum(case((Vote.choice == choice, 1), else_=0)), 0)

    return count("for").label("n_for"), count("against").label("n_against"), count("abstain").label("n_abstain")


def _tallies():
    return select(Vote.proposal_id, *_tally_columns()).group_by(Vote.proposal_id).subquery()


def _view_query():
    tallies = _tallies()
    return (
        select(
            Proposal,
            Organisation.name,
            Organisation.slug,
            User.display_name,
            func.coalesce(tallies.c.n_for, 0),
            func.coalesce(tallies.c.n_against, 0),
            func.coalesce(tallies.c.n_abstain, 0),
        )
        .join(User, col(User.id) == Proposal.author_id)
        .outerjoin(Organisation, col(Organisation.id) == Proposal.organisation_id)
        .outerjoin(tallies, tallies.c.proposal_id == Proposal.id)
    ), tallies


def _views(rows, labels: dict[str, str]) -> list[ProposalView]:
    return [
        ProposalView(
            p, org, slug, author, Tally(int(n_for), int(n_against), int(n_abstain)), labels.get(p.paragraph_key)
        )
        for p, org, slug, author, n_for, n_against, n_abstain in rows
    ]


def list_proposals(
    session: Session, consultation: Consultation, sort: str = "support", page: int = 1, page_size: int = PAGE_SIZE
) -> tuple[list[ProposalView], int]:
    """One page of the consultation's proposals with their tallies, and how many there are in all.

    By support: most votes for, then fewest against, then newest; withdrawn proposals come last either way.
    """
    query, tallies = _view_query()
    query = query.where(Proposal.consultation_id == consultation.id)  # hidden ones too, their reason in place
    withdrawn_last = case((Proposal.status != "visible", 1), else_=0)  # withdrawn and hidden ones
    if sort == "newest":
        order = (withdrawn_last, col(Proposal.created_at).desc(), col(Proposal.id).desc())
    else:
        order = (
            withdrawn_last,
            func.coalesce(tallies.c.n_for, 0).desc(),
            func.coalesce(tallies.c.n_against, 0),
            col(Proposal.created_at).desc(),
            col(Proposal.id).desc(),
        )
    rows = session.exec(query.order_by(*order).offset((max(page, 1) - 1) * page_size).limit(page_size)).all()
    return _views(rows, dict(paragraph_options(session, consultation))), count_proposals(session, consultation, True)


def count_proposals(session: Session, consultation: Consultation, with_hidden: bool = False) -> int:
    """The consultation's proposals; hidden ones are not counted (as hidden comments are not), unless with_hidden."""
    query = select(func.count()).select_from(Proposal).where(Proposal.consultation_id == consultation.id)
    return session.exec(query if with_hidden else query.where(Proposal.status != "hidden")).one()


def get_proposal_view(session: Session, proposal: Proposal) -> ProposalView:
    query, _tallies_ = _view_query()
    rows = session.exec(query.where(Proposal.id == proposal.id)).all()
    label = None
    if proposal.paragraph_key:
        consultation = session.get(Consultation, proposal.consultation_id)
        version = current_version(session, consultation)
        label = session.exec(
            select(Paragraph.label).where(Paragraph.version_id == version.id, Paragraph.key == proposal.paragraph_key)
        ).first()
    return _views(rows, {proposal.paragraph_key: label} if label else {})[0]


def tally_of(session: Session, proposal_id: int) -> Tally:
    row = session.exec(select(*_tally_columns()).where(Vote.proposal_id == proposal_id)).one()
    return Tally(*(int(n) for n in row))


def entry_organisations(session: Session, consultation: Consultation) -> list[Organisation]:
    """Whom an official may enter an outside proposal for: every organisation but the consulting municipality."""
    return list(
        session.exec(
            select(Organisation)
            .where(Organisation.id != consultation.organisation_id)
            .order_by(func.lower(Organisation.name))
        ).all()
    )


# --- rules --------------------------------------------------------------------------------


def require_member(principal: Principal | None) -> Principal:
    """A signed-in person whose e-mail address is confirmed."""
    if principal is None:
        raise DomainError("", _("Log in to take part."), 403)
    if principal.user.confirmed_at is None:
        raise DomainError("", _("Confirm your e-mail address first: open the link we sent you."), 403)
    return principal


def _check_paragraph(session: Session, consultation: Consultation, key: str) -> str | None:
    if not key:
        return None
    if key not in dict(paragraph_options(session, consultation)):
        raise DomainError("paragraph_key", _("Choose a paragraph of the document from the list."))
    return key


def _text_hash(proposal: Proposal) -> str:
    return ledger.sha256_hex(ledger.canonical_json([proposal.title, proposal.body]))


def _add_thread(session: Session, proposal: Proposal) -> None:
    session.add(Thread(owner_kind="proposal", owner_id=str(proposal.id), consultation_id=proposal.consultation_id))


# --- actions ------------------------------------------------------------------------------


def submit_proposal(
    session: Session, principal: Principal | None, consultation: Consultation, data: ProposalInput
) -> Proposal:
    """A participant's proposal, on behalf of one of their organisations, while the consultation is open."""
    principal = require_member(principal)
    require_unfrozen(session, consultation)
    gate = gate_of(session, consultation)
    if not gate.open:
        raise DomainError("", gate.closed_message, 409)
    check_speaker(session, principal, gate, data.organisation_id)
    check_rate(session, "proposal.submit", f"user:{principal.id}")
    proposal = Proposal(
        consultation_id=consultation.id,
        author_id=principal.id,
        organisation_id=data.organisation_id,
        title=data.title,
        body=data.body,
        body_html=render_markdown(data.body),
        paragraph_key=_check_paragraph(session, consultation, data.paragraph_key),
        category=data.category,
    )
    session.add(proposal)
    session.flush()
    _add_thread(session, proposal)
    ledger.append(
        session,
        actor_id=principal.id,
        action="proposal.submitted",
        subject_kind="proposal",
        subject_id=proposal.id,
        payload={
            "consultation": consultation.id,
            "organisation": data.organisation_id,
            "paragraph": proposal.paragraph_key,
            "category": proposal.category,
            "sha256": _text_hash(proposal),
        },
    )
    session.commit()
    return proposal


def enter_proposal(
    session: Session, principal: Principal | None, consultation: Consultation, data: OutsideProposalInput
) -> Proposal:
    """An official enters a proposal received on paper, by e-mail or at a meeting, until the record is published."""
    municipality = session.get(Organisation, consultation.organisation_id)
    if principal is None or not can(principal, "consultation.manage", municipality):
        raise DomainError("", ONLY_OFFICIALS, 403)
    require_unfrozen(session, consultation)
    if consultation.published_at is None or status_of(consultation) == "scheduled":
        raise DomainError("", _("Proposals can be entered once the consultation has opened."), 409)
    organisation = session.get(Organisation, data.organisation_id)
    if organisation is None or organisation.id == municipality.id:
        raise DomainError("organisation_id", _("Choose the organisation that sent the proposal."))
    opened = consultation.opens_at.astimezone(ZONE).date()
    if not opened <= data.received_at <= utcnow().astimezone(ZONE).date():
        raise DomainError(
            "received_at", _("The date of receipt must be between the opening of the consultation and today.")
        )
    proposal = Proposal(
        consultation_id=consultation.id,
        author_id=principal.id,
        organisation_id=organisation.id,
        title=data.title,
        body=data.body,
        body_html=render_markdown(data.body),
        paragraph_key=_check_paragraph(session, consultation, data.paragraph_key),
        category=data.category,
        channel=data.channel,
        received_at=datetime.combine(data.received_at, time(12), ZONE).astimezone(UTC),  # noon: the date holds anywhere
    )
    session.add(proposal)
    session.flush()
    _add_thread(session, proposal)
    ledger.append(
        session,
        actor_id=principal.id,
        action="proposal.entered",
        subject_kind="proposal",
        subject_id=proposal.id,
        payload={
            "consultation": consultation.id,
            "organisation": organisation.id,
            "channel": data.channel,
            "received_on": data.received_at.isoformat(),
            "paragraph": proposal.paragraph_key,
            "sha256": _text_hash(proposal),
        },
    )
    session.commit()
    return proposal


def may_withdraw(session: Session, principal: Principal | None, proposal: Proposal, consultation: Consultation) -> bool:
    """The author, while the proposal stands: until the close (an outside entry: until the record is published).

    A proposal made for an organisation stays in its hands: an author who has left it can no longer withdraw it.
    """
    if not can(principal, "proposal.withdraw", proposal) or proposal.status != "visible":
        return False
    return status_of(consultation) == "open" or proposal.channel != "platform"


def withdraw_proposal(
    session: Session, principal: Principal | None, proposal: Proposal, consultation: Consultation
) -> Proposal:
    principal = require_member(principal)
    require_unfrozen(session, consultation)
    if not can(principal, "proposal.withdraw", proposal):
        raise DomainError("", _("Only the author can withdraw this proposal."), 403)
    if proposal.status == "hidden":
        raise DomainError("", _("This proposal was hidden by the moderators."), 409)
    if proposal.status != "visible":
        raise DomainError("", _("This proposal has already been withdrawn."), 409)
    if not may_withdraw(session, principal, proposal, consultation):
        raise DomainError("", _("This consultation is closed: the proposal can no longer be withdrawn."), 409)
    proposal.status = "withdrawn"
    proposal.withdrawn_at = utcnow()
    session.add(proposal)
    ledger.append(
        session, actor_id=principal.id, action="proposal.withdrawn", subject_kind="proposal", subject_id=proposal.id
    )
    session.commit()
    return proposal
