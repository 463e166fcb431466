"""Advice requests: input models, queries, and the actions (ask, take, answer, close, rate, mark a centre).

Taking, closing and rating are conditional UPDATEs (`... WHERE status = 'new'`, `... WHERE rating IS NULL`): when two
people act at once the database lets one win, and the other is told, never a check followed by a write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from consult import ledger
from consult.advice import rules as advice_rules
from consult.errors import DomainError
from consult.forms import invalid
from consult.i18n import _, gettext
from consult.markdown import render_markdown
from consult.models import (
    ADVICE_STATES,
    ADVICE_TOPICS,
    AdviceMessage,
    AdviceRequest,
    Membership,
    Organisation,
    User,
    utcnow,
)
from consult.notifications.dispatch import notify
from consult.permissions import Principal, can

Link = Callable[[int], str]
TOPIC_LABELS = {
    "legal": _("Legal and organisational matters"),
    "finance": _("Finance and accounting"),
    "fundraising": _("Fundraising"),
    "partnerships": _("Cross-sector partnerships"),
    "promotion": _("Promotion"),
    "volunteering": _("Volunteering"),
}
MODE_LABELS = {"online": _("Online"), "on_site": _("On site")}
STATUS_LABELS = {
    "new": _("Waiting to be taken"),
    "taken": _("Taken by an advisor"),
    "answered": _("Answered"),
    "closed": _("Request closed"),
}
assert tuple(TOPIC_LABELS) == ADVICE_TOPICS and tuple(STATUS_LABELS) == ADVICE_STATES


def request_path(request_id: int) -> str:
    return f"/advice/requests/{request_id}"


def topic_label(topic: str) -> str:
    return gettext(TOPIC_LABELS.get(topic, topic))


def mode_label(mode: str) -> str:
    return gettext(MODE_LABELS.get(mode, mode))


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS.get(status, status))


# --- input ------------------------------------------------------------------------------------


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


class AskInput(BaseModel):
    organisation_id: int
    centre_id: int
    topic: Literal["legal", "finance", "fundraising", "partnerships", "promotion", "volunteering"]
    mode: Literal["online", "on_site"]
    preferred_time: str = Field(default="", max_length=200)
    municipality_id: int | None = None
    description: str = Field(min_length=1, max_length=5000)

    _blanks = field_validator("municipality_id", mode="before")(_blank_is_none)

    @field_validator("description")
    @classmethod
    def _enough(cls, value: str) -> str:
        if len(value) < 10:
            raise invalid(_("Describe the matter in a few words (at least 10 characters)."))
        return value


class MessageInput(BaseModel):
    body: str = Field(min_length=1, max_length=10000)


class RatingInput(BaseModel):
    rating: int | None = Field(default=None, validate_default=True)
    comment: str = Field(default="", max_length=2000)

    @field_validator("rating", mode="before")
    @classmethod
    def _chosen(cls, value: object) -> object:
        if value in ("", None):
            raise invalid(_("Choose a rating from 1 to 5."))
        return value

    @field_validator("rating")
    @classmethod
    def _range(cls, value: int | None) -> int | None:
        if value is None or not 1 <= value <= 5:
            raise invalid(_("Choose a rating from 1 to 5."))
        return value


# --- queries ----------------------------------------------------------------------------------


def support_centres(session: Session) -> list[Organisation]:
    query = select(Organisation).where(col(Organisation.support_centre).is_(True))
    return list(session.exec(query.order_by(func.lower(Organisation.name))).all())


def municipalities(session: Session) -> list[Organisation]:
    query = select(Organisation).where(Organisation.kind == "municipality")
    return list(session.exec(query.order_by(func.lower(Organisation.name))).all())


def member_ids(session: Session, organisation_id: int) -> list[int]:
    """Everyone in the organisation, whatever their role: a centre's advisors, or a requester's members."""
    return list(session.exec(select(Membership.user_id).where(Membership.organisation_id == organisation_id)).all())


def asking_organisations(session: Session, principal: Principal | None) -> list[Organisation]:
    """The organisations this person may ask for advice in the name of."""
    if principal is None or not principal.roles:
        return []
    query = select(Organisation).where(col(Organisation.id).in_(list(principal.roles)))
    rows = session.exec(query.order_by(func.lower(Organisation.name))).all()
    return [o for o in rows if advice_rules.may_ask_for(principal, o)]


def advised_centres(session: Session, principal: Principal | None) -> list[Organisation]:
    """The support centres this person advises for."""
    if principal is None or not principal.roles:
        return []
    return [c for c in support_centres(session) if c.id in principal.roles]


@dataclass(frozen=True)
class RequestRow:
    request: AdviceRequest
    organisation: Organisation
    centre: Organisation
    advisor_name: str
    asked_by_name: str


def _rows(session: Session, query) -> list[RequestRow]:
    requests = list(session.exec(query).all())
    org_ids = {r.organisation_id for r in requests} | {r.centre_id for r in requests}
    user_ids = {r.advisor_id for r in requests} | {r.requested_by_id for r in requests}
    orgs = {o.id: o for o in session.exec(select(Organisation).where(col(Organisation.id).in_(org_ids))).all()}
    names = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(user_ids - {None}))).all())
    return [
        RequestRow(r, orgs[r.organisation_id], orgs[r.centre_id], names.get(r.advisor_id, ""),
                   names.get(r.requested_by_id, ""))
        for r in requests
    ]  # fmt: skip


def request_row(session: Session, request_id: int) -> RequestRow | None:
    rows = _rows(session, select(AdviceRequest).where(AdviceRequest.id == request_id))
    return rows[0] if rows else None


def requests_of(session: Session, organisation_ids: list[int], limit: int = 200) -> list[RequestRow]:
    """The requests these organisations made, newest first."""
    if not organisation_ids:
        return []
    query = select(AdviceRequest).where(col(AdviceRequest.organisation_id).in_(organisation_ids))
    return _rows(session, query.order_by(col(AdviceRequest.created_at).desc()).limit(limit))


def queue(session: Session, centre_id: int, status: str | None, limit: int = 200) -> list[RequestRow]:
    """A centre's requests, the oldest waiting first; with a status, only those."""
    query = select(AdviceRequest).where(AdviceRequest.centre_id == centre_id)
    if status in ADVICE_STATES:
        query = query.where(AdviceRequest.status == status)
    order = (AdviceRequest.status == "closed", col(AdviceRequest.created_at))
    return _rows(session, query.order_by(*order).limit(limit))


def status_counts(session: Session, centre_id: int) -> dict[str, int]:
    query = select(AdviceRequest.status, func.count()).where(AdviceRequest.centre_id == centre_id)
    counted = dict(session.exec(query.group_by(AdviceRequest.status)).all())
    return {status: counted.get(status, 0) for status in ADVICE_STATES}


@dataclass(frozen=True)
class MessageView:
    message: AdviceMessage
    author_name: str


def messages(session: Session, request_id: int) -> list[MessageView]:
    rows = session.exec(
        select(AdviceMessage, User.display_name)
        .join(User, col(User.id) == AdviceMessage.author_id, isouter=True)
        .where(AdviceMessage.request_id == request_id)
        .order_by(col(AdviceMessage.created_at), col(AdviceMessage.id))
    ).all()
    return [MessageView(m, name or "") for m, name in rows]


# --- actions ----------------------------------------------------------------------------------


def _refuse_unless(principal: Principal | None, action: str, obj: object, message: str) -> Principal:
    if principal is None or not can(principal, action, obj):
        raise DomainError("", message, 403)
    return principal


def ask_advice(session: Session, principal: Principal | None, data: AskInput, *, link: Link = request_path):
    """Ask a support centre for advice in an organisation's name; its advisors are told."""
    if principal is None or not asking_organisations(session, principal):
        raise DomainError(
            "", _("Advice is for organisations. Join an organisation, or add yours, to ask for advice."), 403
        )
    organisation = session.get(Organisation, data.organisation_id)
    if organisation is None or not can(principal, "advice.ask", organisation):
        raise DomainError("organisation_id", _("Ask in the name of an organisation you belong to."), 403)
    centre = session.get(Organisation, data.centre_id)
    if centre is None or not centre.support_centre:
        raise DomainError("centre_id", _("Choose one of the support centres."))
    if centre.id == organisation.id:
        raise DomainError("centre_id", _("A support centre does not ask itself. Choose another centre."))
    if data.municipality_id is not None:
        municipality = session.get(Organisation, data.municipality_id)
        if municipality is None or municipality.kind != "municipality":
            raise DomainError("municipality_id", _("Choose one of the options."))
    request = AdviceRequest(
        centre_id=centre.id,
        organisation_id=organisation.id,
        requested_by_id=principal.id,
        municipality_id=data.municipality_id,
        topic=data.topic,
        mode=data.mode,
        preferred_time=data.preferred_time,
        description=data.description,
    )
    session.add(request)
    session.flush()
    ledger.append(
        session, actor_id=principal.id, action="advice.requested", subject_kind="advice_request",
        subject_id=request.id, payload={"centre": centre.id, "organisation": organisation.id, "topic": data.topic},
    )  # fmt: skip
    names = {"organisation": organisation.name, "topic": topic_label(data.topic)}
    notify(
        session,
        member_ids(session, centre.id),
        "advice",
        gettext("%(organisation)s asks for advice: %(topic)s", **names),
        gettext("%(organisation)s asks the support centre for advice (%(topic)s). Take the request in the queue.",
                **names),
        link(request.id),
    )  # fmt: skip
    session.commit()
    return request


def take_request(session: Session, principal: Principal | None, request: AdviceRequest) -> AdviceRequest:
    """One advisor takes a new request: the UPDATE only matches while it is new, so of two at once one wins."""
    if principal is None or not advice_rules.is_advisor(principal, request):
        raise DomainError("", _("Only the support centre's advisors take requests."), 403)
    session.commit()  # end the reading transaction: the UPDATE below is the first statement of the writing one
    result = session.execute(
        update(AdviceRequest)
        .where(col(AdviceRequest.id) == request.id, col(AdviceRequest.status) == "new")
        .values(status="taken", advisor_id=principal.id, taken_at=utcnow())
    )
    if result.rowcount != 1:
        session.rollback()
        raise DomainError("", _("Another advisor has already taken this request, or it is closed."), 409)
    ledger.append(
        session, actor_id=principal.id, action="advice.taken", subject_kind="advice_request", subject_id=request.id
    )
    session.commit()
    session.refresh(request)
    return request


def post_message(
    session: Session, principal: Principal | None, request: AdviceRequest, data: MessageInput, *,
    link: Link = request_path,
) -> AdviceMessage:  # fmt: skip
    """A message in the request's thread: the advisor who took it answers, the requester adds to its request."""
    if principal is not None and can(principal, "advice.answer", request):
        side = "advisor"
    elif principal is not None and can(principal, "advice.follow_up", request):
        side = "requester"
    elif principal is not None and advice_rules.is_advisor(principal, request) and request.status == "new":
        raise DomainError("body", _("Take the request before you answer it."), 409)
    elif principal is not None and request.status == "closed" and can(principal, "advice.view", request):
        raise DomainError("body", _("This request is closed: nothing more can be written in it."), 409)
    else:
        raise DomainError("", _("Only the advisor who took the request, or the organisation that asked, write here."),
                          403)  # fmt: skip
    message = AdviceMessage(
        request_id=request.id, author_id=principal.id, side=side, body=data.body, body_html=render_markdown(data.body)
    )
    session.add(message)
    session.flush()
    if side == "advisor":
        session.execute(
            update(AdviceRequest)
            .where(col(AdviceRequest.id) == request.id, col(AdviceRequest.first_answered_at).is_(None))
            .values(first_answered_at=message.created_at)
        )
        session.execute(
            update(AdviceRequest)
            .where(col(AdviceRequest.id) == request.id, col(AdviceRequest.status) == "taken")
            .values(status="answered")
        )
    ledger.append(
        session, actor_id=principal.id, action="advice.message", subject_kind="advice_request",
        subject_id=request.id, payload={"message": message.id, "side": side},
    )  # fmt: skip
    centre = session.get(Organisation, request.centre_id)
    if side == "advisor":
        recipients = member_ids(session, request.organisation_id)
        subject = gettext("%(centre)s answered your request for advice", centre=centre.name)
        body = gettext("An advisor of %(centre)s answered your organisation's request for advice.", centre=centre.name)
    else:
        recipients = [request.advisor_id] if request.advisor_id else member_ids(session, request.centre_id)
        organisation = session.get(Organisation, request.organisation_id)
        subject = gettext("%(organisation)s wrote in its request for advice", organisation=organisation.name)
        body = gettext("%(organisation)s added a message to its request for advice.", organisation=organisation.name)
    notify(session, [u for u in recipients if u != principal.id], "advice", subject, body, link(request.id))
    session.commit()
    session.refresh(request)
    return message


def close_request(session: Session, principal: Principal | None, request: AdviceRequest) -> AdviceRequest:
    """The advisor who took it, or the organisation that asked, closes the request; closing twice is refused."""
    if request.status == "closed":
        raise DomainError("", _("This request is already closed."), 409)
    _refuse_unless(principal, "advice.close", request,
                   _("Only the advisor who took the request, or the organisation that asked, close it."))  # fmt: skip
    session.commit()  # end the reading transaction, as in take_request
    result = session.execute(
        update(AdviceRequest)
        .where(col(AdviceRequest.id) == request.id, col(AdviceRequest.status) != "closed")
        .values(status="closed", closed_at=utcnow(), closed_by_id=principal.id)
    )
    if result.rowcount != 1:
        session.rollback()
        raise DomainError("", _("This request is already closed."), 409)
    ledger.append(
        session, actor_id=principal.id, action="advice.closed", subject_kind="advice_request", subject_id=request.id
    )
    session.commit()
    session.refresh(request)
    return request


def rate_request(session: Session, principal: Principal | None, request: AdviceRequest, data: RatingInput):
    """The organisation that asked rates the advice once, after it is closed."""
    if principal is None or not advice_rules.is_requester(principal, request):
        raise DomainError("", _("Only the organisation that asked rates the advice."), 403)
    if request.status != "closed":
        raise DomainError("rating", _("You can rate the advice once the request is closed."), 409)
    session.commit()  # end the reading transaction, as in take_request
    result = session.execute(
        update(AdviceRequest)
        .where(
            col(AdviceRequest.id) == request.id,
            col(AdviceRequest.status) == "closed",
            col(AdviceRequest.rating).is_(None),
        )
        .values(rating=data.rating, rating_comment=data.comment, rated_at=utcnow())
    )
    if result.rowcount != 1:
        session.rollback()
        raise DomainError("rating", _("This advice has already been rated."), 409)
    ledger.append(
        session, actor_id=principal.id, action="advice.rated", subject_kind="advice_request", subject_id=request.id,
        payload={"rating": data.rating},
    )  # fmt: skip
    session.commit()
    session.refresh(request)
    return request


def mark_support_centre(session: Session, principal: Principal | None, organisation: Organisation, on: bool) -> None:
    """The platform's admin makes an organisation a support centre (its members become advisors), or undoes it."""
    _refuse_unless(principal, "advice.mark_centre", organisation,
                   _("Only the platform's admins choose the support centres."))  # fmt: skip
    if organisation.kind == "municipality" and on:
        raise DomainError("", _("A municipality cannot be a support centre."), 409)
    if organisation.support_centre == on:
        return
    organisation.support_centre = on
    session.add(organisation)
    ledger.append(
        session, actor_id=principal.id, action="organisation.support_centre", subject_kind="organisation",
        subject_id=organisation.id, payload={"support_centre": on},
    )  # fmt: skip
    session.commit()
