"""The officials' page for entering a comment received on paper, by e-mail or at a consultation meeting."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.comments.owners import resolve
from consult.comments.views import location
from consult.consultations.actions import is_frozen
from consult.consultations.views import load_consultation
from consult.entries import actions
from consult.forms import DomainError, Form, empty_form, validate, values_of
from consult.i18n import gettext
from consult.models import Comment, Consultation, Organisation, Paragraph, Thread
from consult.organisations.views import require_user
from consult.permissions import can
from consult.web import flash, is_fragment_request, render, see_other


def _official(request: Request) -> tuple[Consultation, Organisation]:
    consultation, municipality = load_consultation(request)
    if not can(require_user(request), "consultation.manage", municipality):
        raise HTTPException(
            403, gettext("Only the municipality's officials enter comments received outside the platform.")
        )
    return consultation, municipality


def _wording(paragraphs: list[Paragraph], key: str, typed: str) -> str:
    """The current wording to show for the chosen paragraph: its text, unless the official typed their own."""
    texts = {p.key: p.text for p in paragraphs}
    if typed.strip() and typed not in texts.values():
        return typed
    return texts.get(key, "")


def _blank_form(request: Request, consultation: Consultation, paragraphs: list[Paragraph]) -> Form:
    if is_frozen(request.state.db, consultation):
        message = gettext("The consultation record is published: nothing in this consultation can change.")
        raise HTTPException(409, message)
    query = request.query_params
    form: Form = empty_form()
    form.values.update(
        received_at=actions.local_today(request.app.state.settings.time_zone).isoformat(),
        paragraph=query.get("paragraph", ""),
        current_wording=_wording(paragraphs, query.get("paragraph", ""), query.get("current_wording", "")),
    )
    return form


def _page(
    request: Request, consultation: Consultation, municipality: Organisation, form: Form, paragraphs: list, status=200
) -> Response:
    context = {
        "consultation": consultation,
        "form": form,
        "senders": actions.senders(request.state.db, municipality),
        "paragraphs": paragraphs,
        "channels": [(c, gettext(actions.CHANNEL_LABELS[c])) for c in actions.OUTSIDE_CHANNELS],
    }
    return render(request, "entries/new.html", context, status_code=status)


async def create(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    consultation, municipality = _official(request)
    db = request.state.db
    paragraphs = actions.paragraphs_of(db, consultation)
    if values is None:
        form = _blank_form(request, consultation, paragraphs)
        if is_fragment_request(request):  # the paragraph was changed: only the current wording follows it
            return render(request, "entries/_wording.html", {"form": form})
        return _page(request, consultation, municipality, form, paragraphs)
    form = validate(actions.EntryInput, values)
    status = 422
    if form.ok:
        try:
            comment = actions.enter_comment(db, request.state.user, consultation, form.data)
        except DomainError as error:
            db.rollback()
            form.add_error(error)
            status = error.status_code
        else:
            flash(request, gettext("The comment is entered and marked as received outside the platform."))
            return see_other(_location(request, comment))
    return _page(request, consultation, municipality, form, paragraphs, status)


def _location(request: Request, comment: Comment) -> str:
    db = request.state.db
    return location(request, resolve(db, db.get(Thread, comment.thread_id), request.url_for), comment)


routes = [
    Route("/consultations/{slug}/entries/new", create, methods=["GET", "POST"], name="entries:create"),
]
