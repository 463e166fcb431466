"""The advice routes: ask, the organisation's requests, a centre's queue, one request with its private thread.

A request's page and every form posted to it answer only its two sides (the organisation that asked, the centre's
advisors): anyone else gets 404, as if it did not exist. A message posted with htmx returns the thread in place.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from consult.advice import actions, stats
from consult.advice.actions import RequestRow
from consult.errors import DomainError
from consult.forms import Form, empty_form, parse_form
from consult.i18n import gettext
from consult.models import AdviceRequest
from consult.organisations.actions import get_organisation
from consult.organisations.views import require_user
from consult.permissions import can
from consult.web import flash, is_fragment_request, render, see_other, send_mail_after

LABELS = {
    "topic": actions.topic_label,
    "mode": actions.mode_label,
    "status": actions.status_label,
}


def link(request: Request) -> actions.Link:
    return lambda request_id: str(request.url_for("advice:detail", advice_id=request_id))


def load_request(request: Request) -> RequestRow:
    """The request, for its two sides only: anyone else is told it does not exist."""
    user = require_user(request)
    row = actions.request_row(request.state.db, request.path_params["advice_id"])
    if row is None or not can(user, "advice.view", row.request):
        raise HTTPException(404)
    return row


def refuse(error: DomainError) -> HTTPException:
    return HTTPException(error.status_code, error.translated())


# --- asking -----------------------------------------------------------------------------------


def _ask_context(request: Request, form: Form) -> dict:
    db, user = request.state.db, request.state.user
    organisations = actions.asking_organisations(db, user)
    centres = actions.support_centres(db)
    if not form.values:
        form.values.update(
            organisation_id=str(organisations[0].id) if len(organisations) == 1 else "",
            centre_id=str(centres[0].id) if len(centres) == 1 else "",
            mode="online",
        )
    return {
        "form": form,
        "organisations": [(str(o.id), o.name) for o in organisations],
        "centres": [(str(c.id), c.name) for c in centres],
        "municipalities": [(str(m.id), m.name) for m in actions.municipalities(db)],
        "topics": [(t, actions.topic_label(t)) for t in actions.TOPIC_LABELS],
        "modes": [(m, actions.mode_label(m)) for m in actions.MODE_LABELS],
    }


async def ask(request: Request):
    user = require_user(request)
    db = request.state.db
    if not actions.asking_organisations(db, user):
        raise HTTPException(403, gettext("Advice is for organisations. Join an organisation, or add yours, to ask."))
    if request.method == "GET":
        return render(request, "advice/ask.html", _ask_context(request, empty_form()))
    form = await parse_form(request, actions.AskInput)
    status = 422
    if form.ok:
        try:
            advice = actions.ask_advice(db, user, form.data, link=link(request))
        except DomainError as error:
            db.rollback()
            if error.status_code == 403 and not error.field:
                raise refuse(error) from error
            form.add_error(error)
            status = error.status_code
        else:
            flash(request, gettext("Your request has been sent. The support centre's advisors have been told."))
            return send_mail_after(request, see_other(request.url_for("advice:detail", advice_id=advice.id)))
    return render(request, "advice/ask.html", _ask_context(request, form), status_code=status)


async def index(request: Request):
    """The requests of my organisations, and the queues of the centres I advise for."""
    user = require_user(request)
    db = request.state.db
    asking = actions.asking_organisations(db, user)
    context = {
        "rows": actions.requests_of(db, list(user.roles)),
        "may_ask": bool(asking) and bool(actions.support_centres(db)),
        "centres": actions.advised_centres(db, user),
        "labels": LABELS,
    }
    return render(request, "advice/index.html", context)


# --- the centre's queue -------------------------------------------------------------------------


def _period(request: Request) -> tuple[int, datetime, datetime]:
    now = datetime.now(UTC)
    try:
        year = int(request.query_params.get("year", now.year))
    except ValueError:
        year = now.year
    year = min(max(year, 2000), 2100)
    return year, datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


async def queue(request: Request):
    user = require_user(request)
    db = request.state.db
    centre = get_organisation(db, request.path_params["slug"])
    if centre is None or not centre.support_centre:
        raise HTTPException(404)
    if not can(user, "advice.queue", centre):
        raise HTTPException(403, gettext("Only the support centre's advisors see its queue."))
    status = request.query_params.get("status", "")
    status = status if status in actions.STATUS_LABELS else ""
    year, start, end = _period(request)
    context = {
        "centre": centre,
        "rows": actions.queue(db, centre.id, status or None),
        "status": status,
        "counts": actions.status_counts(db, centre.id),
        "figures": stats.advice_figures(db, centre, start, end),
        "year": year,
        "labels": LABELS,
    }
    return render(request, "advice/queue.html", context, fragment="advice/_queue.html")


# --- one request --------------------------------------------------------------------------------


def _detail_context(request: Request, row: RequestRow, **forms: Form) -> dict:
    user, advice = request.state.user, row.request
    message_form = forms.get("message") or empty_form()
    message_form.prefix = f"advice-{advice.id}-"
    return {
        "row": row,
        "advice": advice,
        "messages": actions.messages(request.state.db, advice.id),
        "labels": LABELS,
        "may_take": can(user, "advice.take", advice),
        "may_write": can(user, "advice.answer", advice) or can(user, "advice.follow_up", advice),
        "may_close": can(user, "advice.close", advice),
        "may_rate": can(user, "advice.rate", advice),
        "is_advisor": advice.centre_id in user.roles,
        "message_form": message_form,
        "rating_form": forms.get("rating") or empty_form(),
    }


async def detail(request: Request):
    row = load_request(request)
    return render(request, "advice/detail.html", _detail_context(request, row), fragment="advice/_thread.html")


def _back(request: Request, advice: AdviceRequest, message: str) -> Response:
    flash(request, message)
    return send_mail_after(request, see_other(request.url_for("advice:detail", advice_id=advice.id)))


def _again(request: Request, row: RequestRow, status: int, fragment: str | None = None, **forms: Form) -> Response:
    fresh = actions.request_row(request.state.db, row.request.id)
    context = _detail_context(request, fresh, **forms)
    return render(request, "advice/detail.html", context, fragment=fragment, status_code=status)


async def message(request: Request):
    form = await parse_form(request, actions.MessageInput)
    row = load_request(request)
    db = request.state.db
    status = 422
    if form.ok:
        try:
            actions.post_message(db, request.state.user, row.request, form.data, link=link(request))
        except DomainError as error:
            db.rollback()
            if error.status_code == 403:
                raise refuse(error) from error
            form.add_error(error)
            status = error.status_code
        else:
            if is_fragment_request(request):
                return send_mail_after(request, _again(request, row, 200, "advice/_thread.html"))
            return _back(request, row.request, gettext("Your message has been posted."))
    return _again(request, row, status, "advice/_thread.html", message=form)


async def take(request: Request):
    row = load_request(request)
    try:
        actions.take_request(request.state.db, request.state.user, row.request)
    except DomainError as error:
        raise refuse(error) from error
    return _back(request, row.request, gettext("You have taken the request. Answer it below."))


async def close(request: Request):
    row = load_request(request)
    try:
        actions.close_request(request.state.db, request.state.user, row.request)
    except DomainError as error:
        raise refuse(error) from error
    return _back(request, row.request, gettext("The request is closed."))


async def rate(request: Request):
    form = await parse_form(request, actions.RatingInput)
    row = load_request(request)
    db = request.state.db
    status = 422
    if form.ok:
        try:
            actions.rate_request(db, request.state.user, row.request, form.data)
        except DomainError as error:
            db.rollback()
            if error.status_code == 403:
                raise refuse(error) from error
            form.add_error(error)
            status = error.status_code
        else:
            return _back(request, row.request, gettext("Thank you for rating the advice."))
    return _again(request, row, status, rating=form)


async def support_centre(request: Request):
    """The platform's admin marks an organisation as a support centre, or takes the role away."""
    user = require_user(request)
    on = (await request.form()).get("support_centre") == "1"
    organisation = get_organisation(request.state.db, request.path_params["slug"])
    if organisation is None:
        raise HTTPException(404)
    try:
        actions.mark_support_centre(request.state.db, user, organisation, on)
    except DomainError as error:
        raise refuse(error) from error
    flash(
        request,
        gettext("The organisation is a support centre.") if on else gettext("It is no longer a support centre."),
    )
    return see_other(request.url_for("organisations:profile", slug=organisation.slug))


routes: list[BaseRoute] = [
    Route("/advice", index, name="advice:index"),
    Route("/advice/new", ask, methods=["GET", "POST"], name="advice:ask"),
    Route("/advice/centres/{slug}", queue, name="advice:queue"),
    Route("/advice/requests/{advice_id:id}", detail, name="advice:detail"),
    Route("/advice/requests/{advice_id:id}/messages", message, methods=["POST"], name="advice:message"),
    Route("/advice/requests/{advice_id:id}/take", take, methods=["POST"], name="advice:take"),
    Route("/advice/requests/{advice_id:id}/close", close, methods=["POST"], name="advice:close"),
    Route("/advice/requests/{advice_id:id}/rating", rate, methods=["POST"], name="advice:rate"),
    Route("/organisations/{slug}/support-centre", support_centre, methods=["POST"], name="advice:support_centre"),
]
