"""Building a survey (its settings and questions, from a ready template or blank), opening it, and answering it.

The builder works while the survey is a draft: once it is opened answers may arrive at any moment, so its questions
are frozen (an answer must always mean what the question said)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from consult import ledger
from consult.consultations.actions import parse_local
from consult.errors import DomainError
from consult.forms import invalid
from consult.i18n import _
from consult.models import (
    SURVEY_QUESTION_KINDS,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyRespondent,
    SurveyResponse,
    SurveyTally,
    utcnow,
)
from consult.permissions import Principal, can
from consult.slugs import unique_slug
from consult.surveys import queries
from consult.surveys.answers import Parsed
from consult.surveys.ready import READY

MAX_QUESTIONS = 60
MAX_OPTIONS = 20
ONLY_OWNER = _("Only the survey's owner may do this.")
FROZEN = _("The survey is open: its questions can no longer be changed.")


class SurveyInput(BaseModel):
    owner: str = ""
    template: str = ""
    title: str = Field(default="", max_length=300)
    intro: str = Field(default="", max_length=5000)
    audience: Literal["organisations", "people", "link"] = "organisations"
    anonymous: bool = False
    opens_at: datetime
    closes_at: datetime

    @field_validator("template")
    @classmethod
    def _template(cls, value: str) -> str:
        if value and value not in READY:
            raise invalid(_("Choose one of the ready surveys, or start from a blank one."))
        return value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str, info: ValidationInfo) -> str:
        if not value and not info.data.get("template"):
            raise invalid(_("Give the survey a title."))
        return value

    @field_validator("opens_at", "closes_at", mode="before")
    @classmethod
    def _local(cls, value: object) -> object:
        return parse_local(value) if isinstance(value, str) and value else value

    @field_validator("closes_at")
    @classmethod
    def _after(cls, value: datetime, info: ValidationInfo) -> datetime:
        opens = info.data.get("opens_at")
        if opens is not None and value <= opens:
            raise invalid(_("The survey must close after it opens."))
        return value


class QuestionInput(BaseModel):
    kind: str
    text: str = Field(min_length=1, max_length=1000)
    help: str = Field(default="", max_length=1000)
    options: str = Field(default="", max_length=5000)
    required: bool = False

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in SURVEY_QUESTION_KINDS:
            raise invalid(_("Choose what kind of question it is."))
        return value

    @field_validator("options")
    @classmethod
    def _options(cls, value: str, info: ValidationInfo) -> str:
        lines = [line.strip() for line in value.splitlines() if line.strip()]
        kind = info.data.get("kind")
        if kind in ("single", "multiple", "ranking") and not 2 <= len(lines) <= MAX_OPTIONS:
            raise invalid(_("Give between 2 and 20 options, one a line."))
        if kind == "scale" and len(lines) not in (0, 2):
            raise invalid(_("Give two lines: what 1 means and what 5 means, or leave it empty."))
        if any(len(line) > 300 for line in lines):
            raise invalid(_("An option can be at most 300 characters long."))
        return "\n".join(lines) if kind in ("single", "multiple", "ranking", "scale") else ""


# --- the survey ---------------------------------------------------------------------------------


def _owner_of(session: Session, principal: Principal, value: str) -> tuple[int | None, int | None]:
    chosen = [o for o in queries.owner_choices(session, principal) if o.value == value]
    if not chosen:
        raise DomainError("owner", _("Choose who runs the survey."))
    kind, _sep, ident = value.partition(":")
    return (int(ident), None) if kind == "organisation" else (None, int(ident))


def require_owner(session: Session, principal: Principal | None, survey: Survey) -> Principal:
    if principal is None or not can(principal, "survey.manage", queries.owning(session, principal, survey)):
        raise DomainError("", ONLY_OWNER, 403)
    return principal


def _require_draft(survey: Survey) -> None:
    if survey.published_at is not None:
        raise DomainError("", FROZEN, 409)


def create_survey(session: Session, principal: Principal, data: SurveyInput) -> Survey:
    organisation_id, network_id = _owner_of(session, principal, data.owner)
    ready = READY.get(data.template)
    survey = Survey(
        slug=unique_slug(session, Survey, data.title or ready.title, fallback="ankieta", reserved={"new"}),
        title=data.title or ready.title,
        intro=data.intro or (ready.intro if ready else ""),
        owner_organisation_id=organisation_id,
        network_id=network_id,
        template=data.template,
        audience=data.audience,
        anonymous=data.anonymous or data.audience == "link",
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        created_by_id=principal.id,
    )
    session.add(survey)
    session.flush()
    for position, q in enumerate(ready.questions if ready else (), start=1):
        session.add(
            SurveyQuestion(
                survey_id=survey.id,
                position=position,
                kind=q.kind,
                text=q.text,
                help=q.help,
                options="\n".join(q.options),
                required=q.required,
            )
        )
    ledger.append(
        session,
        actor_id=principal.id,
        action="survey.created",
        subject_kind="survey",
        subject_id=survey.id,
        payload={"title": survey.title, "template": survey.template, "audience": survey.audience},
    )
    session.commit()
    return survey


def edit_survey(session: Session, principal: Principal, survey: Survey, data: SurveyInput) -> Survey:
    require_owner(session, principal, survey)
    _require_draft(survey)
    survey.title = data.title or survey.title
    survey.intro = data.intro
    survey.audience = data.audience
    survey.anonymous = data.anonymous or data.audience == "link"
    survey.opens_at, survey.closes_at = data.opens_at, data.closes_at
    session.add(survey)
    ledger.append(session, actor_id=principal.id, action="survey.changed", subject_kind="survey", subject_id=survey.id)
    session.commit()
    return survey


def open_survey(session: Session, principal: Principal, survey: Survey) -> Survey:
    """Publish the survey: from its opening time it takes answers, until its closing time."""
    require_owner(session, principal, survey)
    _require_draft(survey)
    if not any(q.kind != "section" for q in queries.questions_of(session, survey.id)):
        raise DomainError("", _("Add at least one question before opening the survey."), 409)
    if survey.closes_at <= utcnow():
        raise DomainError("closes_at", _("The closing time has passed: set a later one first."), 409)
    survey.published_at = utcnow()
    session.add(survey)
    for question in queries.questions_of(session, survey.id):
        top = {"section": -1, "short_text": 0, "long_text": 0, "scale": 5}.get(question.kind)
        top = len(queries.options_of(question)) if top is None else top
        session.add_all(SurveyTally(survey_id=survey.id, question_id=question.id, option=o) for o in range(top + 1))
    ledger.append(session, actor_id=principal.id, action="survey.opened", subject_kind="survey", subject_id=survey.id)
    session.commit()
    return survey


def publish_results(session: Session, principal: Principal, survey: Survey, public: bool) -> Survey:
    require_owner(session, principal, survey)
    if survey.published_at is None:
        raise DomainError("", _("A draft has no results to publish."), 409)
    survey.results_public_at = utcnow() if public else None
    session.add(survey)
    action = "survey.results_published" if public else "survey.results_withdrawn"
    ledger.append(session, actor_id=principal.id, action=action, subject_kind="survey", subject_id=survey.id)
    session.commit()
    return survey


def moderate_text(
    session: Session, principal: Principal, survey: Survey, response_id: str, question_id: int, shown: bool
) -> SurveyAnswer:
    """The owner marks a text answer publishable (shown with the public results) or hidden."""
    require_owner(session, principal, survey)
    answer = session.get(SurveyAnswer, (response_id, question_id, 0))
    if answer is None or answer.survey_id != survey.id:
        raise DomainError("", _("There is no such answer."), 404)
    answer.moderation = "shown" if shown else "hidden"
    session.add(answer)
    ledger.append(
        session,
        actor_id=principal.id,
        action="survey.text_moderated",
        subject_kind="survey",
        subject_id=survey.id,
        payload={"question": question_id, "moderation": answer.moderation},
    )
    session.commit()
    return answer


# --- questions ----------------------------------------------------------------------------------


def add_question(session: Session, principal: Principal, survey: Survey, data: QuestionInput) -> SurveyQuestion:
    require_owner(session, principal, survey)
    _require_draft(survey)
    questions = queries.questions_of(session, survey.id)
    if len(questions) >= MAX_QUESTIONS:
        raise DomainError("", _("A survey can have at most 60 questions."), 409)
    question = SurveyQuestion(survey_id=survey.id, position=len(questions) + 1, **data.model_dump())
    question.required = data.required and data.kind != "section"
    session.add(question)
    session.commit()
    return question


def _own_question(session: Session, survey: Survey, question_id: int) -> SurveyQuestion:
    question = session.get(SurveyQuestion, question_id)
    if question is None or question.survey_id != survey.id:
        raise DomainError("", _("There is no such question."), 404)
    return question


def edit_question(
    session: Session, principal: Principal, survey: Survey, question_id: int, data: QuestionInput
) -> SurveyQuestion:
    require_owner(session, principal, survey)
    _require_draft(survey)
    question = _own_question(session, survey, question_id)
    for name, value in data.model_dump().items():
        setattr(question, name, value)
    question.required = data.required and data.kind != "section"
    session.add(question)
    session.commit()
    return question


def move_question(session: Session, principal: Principal, survey: Survey, question_id: int, step: int) -> None:
    """Up (-1) or down (+1) by one place; the positions are renumbered 1, 2, 3 …"""
    require_owner(session, principal, survey)
    _require_draft(survey)
    questions = queries.questions_of(session, survey.id)
    index = next((i for i, q in enumerate(questions) if q.id == question_id), None)
    if index is None:
        raise DomainError("", _("There is no such question."), 404)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
    for position, question in enumerate(questions, start=1):
        question.position = position
        session.add(question)
    session.commit()


def remove_question(session: Session, principal: Principal, survey: Survey, question_id: int) -> None:
    require_owner(session, principal, survey)
    _require_draft(survey)
    session.delete(_own_question(session, survey, question_id))
    session.commit()


# --- answering ----------------------------------------------------------------------------------


def _count(session: Session, survey: Survey, parsed: Parsed) -> None:
    """Add the answer to the running tallies, in key order."""
    for item in sorted(parsed.items, key=lambda i: (i["question_id"], i["option"])):
        rank = item.get("rank") or 0
        session.execute(
            update(SurveyTally)
            .where(
                col(SurveyTally.survey_id) == survey.id,
                col(SurveyTally.question_id) == item["question_id"],
                col(SurveyTally.option) == item["option"],
            )
            .values(
                count=col(SurveyTally.count) + 1,
                rank_sum=col(SurveyTally.rank_sum) + rank,
                firsts=col(SurveyTally.firsts) + (1 if rank == 1 else 0),
            )
        )


def submit_response(
    session: Session, principal: Principal | None, survey: Survey, parsed: Parsed, organisation_id: int | None
) -> SurveyResponse:
    """Store one answer. Who answered goes to survey_respondent, whose primary key holds the one-answer rule (one per
    organisation or person) even when two admins send at once; an anonymous survey's response keeps no link to them:
    a random id, no organisation, no person, the day only."""
    state = queries.status_of(survey)
    if state != "open":
        message = _("The survey has not opened yet.") if state in ("draft", "scheduled") else _("The survey is closed.")
        raise DomainError("", message, 409)
    key = None
    if survey.audience == "organisations":
        if organisation_id is None:
            raise DomainError("organisation_id", _("Choose the organisation you answer for."))
        if principal is None or not can(
            principal, "survey.answer", queries.answering(session, principal, organisation_id)
        ):
            raise DomainError(
                "organisation_id", _("Only the organisation's admin or a member it designated may answer for it."), 403
            )
        key = queries.respondent_key(organisation_id, None)
    elif survey.audience == "people":
        if principal is None or not can(principal, "survey.answer", queries.answering(session, principal, None)):
            raise DomainError("", _("Sign in with a confirmed account to answer."), 403)
        organisation_id, key = None, queries.respondent_key(None, principal.id)
    else:
        organisation_id = None
    response = SurveyResponse(
        id=secrets.token_hex(16),
        survey_id=survey.id,
        organisation_id=None if survey.anonymous else organisation_id,
        user_id=None if survey.anonymous or principal is None or survey.audience == "link" else principal.id,
        submitted_on=utcnow().date(),
    )
    try:
        if key is not None:
            with session.begin_nested():
                session.add(SurveyRespondent(survey_id=survey.id, respondent=key))
        session.add(response)
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise DomainError("", _("An answer has already been sent: each answers the survey once."), 409) from error
    session.add_all(SurveyAnswer(response_id=response.id, survey_id=survey.id, **item) for item in parsed.items)
    _count(session, survey, parsed)
    ledger.append(
        session,
        actor_id=None if survey.anonymous or principal is None else principal.id,
        action="survey.answered",
        subject_kind="survey",
        subject_id=survey.id,
        payload={} if survey.anonymous else {"response": response.id, "organisation": organisation_id},
    )
    session.commit()
    return response
