"""The public benefit council's (RDPP) opinion: the municipality names its council, an official asks for the opinion,
a council member gives it within 14 days; after that the right lapses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from consult import ledger
from consult.consultations.actions import require_unfrozen
from consult.forms import DomainError
from consult.i18n import _, gettext
from consult.mail import queue_mail
from consult.markdown import render_markdown
from consult.models import Consultation, CouncilOpinion, Membership, Organisation, User, utcnow
from consult.permissions import Principal, can

TERM = timedelta(days=14)
COUNCIL_KIND = "other"  # a council is kept as an organisation of kind "other" whose members sit on it


class OpinionInput(BaseModel):
    body: str = Field(min_length=10, max_length=50_000)


class CouncilInput(BaseModel):
    council_id: int | None = None

    @field_validator("council_id", mode="before")
    @classmethod
    def _none(cls, value: object) -> object:
        return None if value == "" else value


@dataclass(frozen=True)
class OpinionStatus:
    """What the consultation page says about the council's opinion."""

    state: str  # none | requested | submitted | lapsed
    opinion: CouncilOpinion | None
    council: Organisation | None  # the council asked, else the municipality's council

    @property
    def shown(self) -> bool:
        return self.state != "none"


def state_of(opinion: CouncilOpinion | None, now: datetime | None = None) -> str:
    if opinion is None:
        return "none"
    if opinion.submitted_at is not None:
        return "submitted"
    return "requested" if (now or utcnow()) < opinion.due_at else "lapsed"


# --- queries ------------------------------------------------------------------------------


def council_choices(session: Session, municipality: Organisation) -> list[Organisation]:
    """The organisations that can be a municipality's council."""
    return list(
        session.exec(
            select(Organisation)
            .where(Organisation.kind == COUNCIL_KIND, Organisation.id != municipality.id)
            .order_by(Organisation.name)
        ).all()
    )


def opinion_of(session: Session, consultation: Consultation) -> CouncilOpinion | None:
    return session.exec(select(CouncilOpinion).where(CouncilOpinion.consultation_id == consultation.id)).first()


def opinion_status(
    session: Session, consultation: Consultation, municipality: Organisation, now: datetime | None = None
) -> OpinionStatus:
    """The opinion's state with the council asked (or the one that would be): two queries at most."""
    opinion = opinion_of(session, consultation)
    council_id = opinion.council_id if opinion else municipality.benefit_council_id
    council = session.get(Organisation, council_id) if council_id else None
    return OpinionStatus(state_of(opinion, now), opinion, council)


def sits_on(principal: Principal | None, council_id: int | None) -> bool:
    return principal is not None and council_id is not None and council_id in principal.roles


def council_emails(session: Session, council_id: int) -> list[str]:
    return list(
        session.exec(
            select(User.email)
            .join(Membership, col(Membership.user_id) == User.id)
            .where(Membership.organisation_id == council_id)
            .order_by(User.email)
        ).all()
    )


# --- actions ------------------------------------------------------------------------------


def set_council(session: Session, principal: Principal | None, municipality: Organisation, data: CouncilInput) -> None:
    """Name (or clear) the municipality's public benefit council."""
    if not can(principal, "consultation.manage", municipality):
        raise DomainError("", _("Only the municipality's admins and officials name its council."), 403)
    if data.council_id is not None:
        council = session.get(Organisation, data.council_id)
        if council is None or council.kind != COUNCIL_KIND or council.id == municipality.id:
            raise DomainError("council_id", _("Choose the council from the list."))
    municipality.benefit_council_id = data.council_id
    session.add(municipality)
    ledger.append(
        session,
        actor_id=principal.id,
        action="organisation.council_set",
        subject_kind="organisation",
        subject_id=municipality.id,
        payload={"council": data.council_id},
    )
    session.commit()


def request_opinion(
    session: Session, principal: Principal | None, consultation: Consultation, link: str, now: datetime | None = None
) -> CouncilOpinion:
    """Ask the municipality's council for its opinion, due in 14 days; its members are told by e-mail."""
    municipality = session.get(Organisation, consultation.organisation_id)
    if not can(principal, "consultation.manage", municipality):
        raise DomainError("", _("Only the municipality's officials ask the council for its opinion."), 403)
    require_unfrozen(session, consultation)
    if municipality.benefit_council_id is None:
        raise DomainError("", _("The municipality has not named its public benefit council."), 409)
    if opinion_of(session, consultation) is not None:
        raise DomainError("", _("The council's opinion has already been requested."), 409)
    council = session.get(Organisation, municipality.benefit_council_id)
    now = now or utcnow()
    opinion = CouncilOpinion(
        consultation_id=consultation.id,
        council_id=council.id,
        requested_by_id=principal.id,
        requested_at=now,
        due_at=now + TERM,
    )
    session.add(opinion)
    session.flush()
    for email in council_emails(session, council.id):
        queue_mail(
            session,
            email,
            gettext(
                "%(municipality)s asks %(council)s for its opinion",
                municipality=municipality.name,
                council=council.name,
            ),
            gettext(
                "%(municipality)s asks the council for its opinion on the draft “%(title)s”. "
                "The opinion is due within 14 days. Read the draft and give the opinion here:\n\n%(link)s",
                municipality=municipality.name,
                title=consultation.title,
                link=link,
            ),
        )
    ledger.append(
        session,
        actor_id=principal.id,
        action="opinion.requested",
        subject_kind="consultation",
        subject_id=consultation.id,
        payload={"council": council.id, "due_at": opinion.due_at.isoformat()},
    )
    try:
        session.commit()
    except IntegrityError as exc:  # another official asked at the same moment
        session.rollback()
        raise DomainError("", _("The council's opinion has already been requested."), 409) from exc
    return opinion


def submit_opinion(
    session: Session,
    principal: Principal | None,
    consultation: Consultation,
    data: OpinionInput,
    now: datetime | None = None,
) -> CouncilOpinion:
    """A council member gives the council's opinion, once, before it is due."""
    opinion = opinion_of(session, consultation)
    if opinion is None:
        raise DomainError("", _("The council's opinion has not been requested."), 409)
    if not sits_on(principal, opinion.council_id):
        raise DomainError("", _("Only members of the council give its opinion."), 403)
    require_unfrozen(session, consultation)
    if opinion.submitted_at is not None:
        raise DomainError("", _("The council has already given its opinion."), 409)
    now = now or utcnow()
    if now >= opinion.due_at:
        raise DomainError(
            "", _("The term for the council's opinion has passed: the opinion can no longer be given."), 409
        )
    given = session.exec(  # one opinion even when two members send theirs at the same moment
        update(CouncilOpinion)
        .where(col(CouncilOpinion.id) == opinion.id, col(CouncilOpinion.submitted_at).is_(None))
        .values(body=data.body, body_html=render_markdown(data.body), submitted_by_id=principal.id, submitted_at=now)
    )
    if given.rowcount != 1:
        session.rollback()
        raise DomainError("", _("The council has already given its opinion."), 409)
    ledger.append(
        session,
        actor_id=principal.id,
        action="opinion.submitted",
        subject_kind="consultation",
        subject_id=consultation.id,
        payload={"council": opinion.council_id, "text_sha256": ledger.sha256_hex(data.body)},
    )
    session.commit()
    session.refresh(opinion)
    return opinion
