"""Reading surveys: a survey and its questions, who owns it and who may answer, the lists. Nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from consult.models import (
    Membership,
    Network,
    NetworkCoordinator,
    Organisation,
    Survey,
    SurveyQuestion,
    SurveyRespondent,
    SurveyResponse,
    utcnow,
)
from consult.permissions import Principal
from consult.surveys.rules import MANAGING_ROLES, Answering, Owning

ANSWERABLE_KINDS = ("single", "multiple", "scale", "short_text", "long_text", "ranking")
ORGANISATION_KINDS = ("ngo", "informal", "other")


def status_of(survey: Survey) -> str:
    """draft, scheduled, open or closed: follows the clock, never a job."""
    if survey.published_at is None:
        return "draft"
    now = utcnow()
    if now < survey.opens_at:
        return "scheduled"
    return "open" if now < survey.closes_at else "closed"


def get_survey(session: Session, slug: str) -> Survey | None:
    return session.exec(select(Survey).where(Survey.slug == slug)).first()


def questions_of(session: Session, survey_id: int) -> list[SurveyQuestion]:
    query = select(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id)
    return list(session.exec(query.order_by(col(SurveyQuestion.position), col(SurveyQuestion.id))).all())


def options_of(question: SurveyQuestion) -> list[str]:
    return [line.strip() for line in question.options.splitlines() if line.strip()]


def response_count(session: Session, survey_id: int) -> int:
    query = select(func.count()).select_from(SurveyResponse).where(SurveyResponse.survey_id == survey_id)
    return session.exec(query).one()


def respondent_key(organisation_id: int | None, user_id: int | None) -> str:
    return f"organisation:{organisation_id}" if organisation_id is not None else f"user:{user_id}"


def has_answered(session: Session, survey_id: int, key: str) -> bool:
    query = select(SurveyRespondent.survey_id).where(
        SurveyRespondent.survey_id == survey_id, SurveyRespondent.respondent == key
    )
    return session.exec(query).first() is not None


# --- owners ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    value: str  # "organisation:<id>" | "network:<id>", as the form carries it
    name: str


def owner_choices(session: Session, principal: Principal) -> list[Owner]:
    """Whom this person may build a survey for: municipalities they are an official of, support centres they belong
    to, networks they coordinate (a platform admin: all of them)."""
    organisations = select(Organisation).where(
        or_(Organisation.kind == "municipality", col(Organisation.support_centre).is_(True))
    )
    networks = select(Network)
    if not principal.is_admin:
        managed = [oid for oid, role in principal.roles.items() if role in MANAGING_ROLES]
        centre_or_managed = or_(
            col(Organisation.support_centre).is_(True) & col(Organisation.id).in_(list(principal.roles)),
            (Organisation.kind == "municipality") & col(Organisation.id).in_(managed),
        )
        organisations = organisations.where(centre_or_managed)
        mine = select(NetworkCoordinator.network_id).where(NetworkCoordinator.user_id == principal.id)
        networks = networks.where(col(Network.id).in_(mine))
    found = [Owner(f"organisation:{o.id}", o.name) for o in session.exec(organisations.order_by(Organisation.name))]
    return found + [Owner(f"network:{n.id}", n.name) for n in session.exec(networks.order_by(Network.name))]


def owning(session: Session, principal: Principal | None, survey: Survey) -> Owning:
    if survey.network_id is not None:
        coordinates = principal is not None and (
            session.get(NetworkCoordinator, (survey.network_id, principal.id)) is not None
        )
        return Owning(None, coordinates=coordinates)
    owner = session.get(Organisation, survey.owner_organisation_id)
    return Owning(survey.owner_organisation_id, support_centre=bool(owner and owner.support_centre))


def owner_name(session: Session, survey: Survey) -> str:
    if survey.network_id is not None:
        network = session.get(Network, survey.network_id)
        return network.name if network else ""
    owner = session.get(Organisation, survey.owner_organisation_id)
    return owner.name if owner else ""


# --- who answers --------------------------------------------------------------------------------


def speaking_for(session: Session, principal: Principal) -> list[Organisation]:
    """The organisations (not municipalities) this person answers for: as admin, or designated to vote for it."""
    query = (
        select(Organisation)
        .join(Membership, col(Membership.organisation_id) == Organisation.id)
        .where(Membership.user_id == principal.id, col(Organisation.kind).in_(ORGANISATION_KINDS))
        .where(or_(Membership.role == "admin", col(Membership.votes).is_(True)))
    )
    return list(session.exec(query.order_by(func.lower(Organisation.name))).all())


def answering(session: Session, principal: Principal, organisation_id: int | None) -> Answering:
    if organisation_id is None:
        return Answering(None)
    speaks = any(o.id == organisation_id for o in speaking_for(session, principal))
    return Answering(organisation_id, speaks=speaks)


def answered_by(session: Session, survey_id: int, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    query = select(SurveyRespondent.respondent).where(
        SurveyRespondent.survey_id == survey_id, col(SurveyRespondent.respondent).in_(keys)
    )
    return set(session.exec(query).all())


# --- lists --------------------------------------------------------------------------------------


def open_surveys(session: Session) -> list[Survey]:
    """Published surveys open now, for organisations or signed-in people (those for anyone with the link are not
    listed: their owners share the link)."""
    now = utcnow()
    query = select(Survey).where(
        col(Survey.published_at).is_not(None),
        Survey.opens_at <= now,
        Survey.closes_at > now,
        Survey.audience != "link",
    )
    return list(session.exec(query.order_by(Survey.closes_at)).all())


def public_results(session: Session, limit: int = 50) -> list[Survey]:
    query = select(Survey).where(col(Survey.results_public_at).is_not(None))
    return list(session.exec(query.order_by(col(Survey.results_public_at).desc()).limit(limit)).all())


def managed_surveys(session: Session, principal: Principal) -> list[Survey]:
    """The surveys this person may manage, newest first."""
    owners = owner_choices(session, principal)
    organisation_ids = [int(o.value.split(":")[1]) for o in owners if o.value.startswith("organisation:")]
    network_ids = [int(o.value.split(":")[1]) for o in owners if o.value.startswith("network:")]
    if not organisation_ids and not network_ids:
        return []
    query = select(Survey).where(
        or_(col(Survey.owner_organisation_id).in_(organisation_ids), col(Survey.network_id).in_(network_ids))
    )
    return list(session.exec(query.order_by(col(Survey.created_at).desc()).limit(100)).all())


@dataclass(frozen=True)
class Waiting:
    survey: Survey
    organisation: Organisation


def waiting_for(session: Session, principal: Principal) -> list[Waiting]:
    """Open surveys for organisations that an organisation this person answers for has not answered yet."""
    organisations = speaking_for(session, principal)
    surveys = [s for s in open_surveys(session) if s.audience == "organisations"]
    if not organisations or not surveys:
        return []
    keys = [respondent_key(o.id, None) for o in organisations]
    answered = select(SurveyRespondent.survey_id, SurveyRespondent.respondent).where(
        col(SurveyRespondent.survey_id).in_([s.id for s in surveys]), col(SurveyRespondent.respondent).in_(keys)
    )
    done = set(session.exec(answered).all())
    return [Waiting(s, o) for s in surveys for o in organisations if (s.id, respondent_key(o.id, None)) not in done]
