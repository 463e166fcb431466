"""Publishing a draft after a confirmation, and changing a published consultation in the open: correcting its
details, moving or extending its dates, cancelling it; each change with a public reason."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.consultations import actions, changes
from consult.consultations.views import load_consultation
from consult.forms import DomainError, Form, validate, values_of
from consult.i18n import gettext
from consult.models import Consultation, Organisation, utcnow
from consult.organisations.views import require_user
from consult.permissions import can
from consult.web import flash, render, see_other


def load_managed(request: Request) -> tuple[Consultation, Organisation]:
    """The consultation of the path, for its municipality's officials only (403 for anyone else)."""
    consultation, municipality = load_consultation(request)
    if not can(require_user(request), "consultation.manage", municipality):
        raise HTTPException(403, gettext("Only the municipality's officials change a consultation."))
    return consultation, municipality


def _local(value, request: Request) -> str:
    return value.astimezone(ZoneInfo(request.app.state.settings.time_zone)).strftime("%Y-%m-%dT%H:%M")


async def _change(
    request: Request,
    model: type[BaseModel],
    act: Callable,
    template: str,
    initial: Callable[[Consultation], dict],
    done: str,
):
    """The flow every change form shares: show it filled in; on POST validate, act, and 303 or the errors (422)."""
    values = values_of(await request.form()) if request.method == "POST" else None
    consultation, municipality = load_managed(request)
    db = request.state.db
    form, status = Form(None, initial(consultation)), 200
    if values is not None:
        form, status = validate(model, values), 422
        if form.ok:
            try:
                act(db, request.state.user, consultation, form.data)
            except DomainError as error:
                db.rollback()
                if error.status_code in (403, 409):
                    raise HTTPException(error.status_code, error.translated()) from error
                form.add_error(error)
                status = error.status_code
            else:
                flash(request, done)
                return see_other(f"{request.url_for('consultations:detail', slug=consultation.slug)}#history")
    context = {
        "consultation": consultation,
        "municipality": municipality,
        "form": form,
        "status": actions.shown_status(consultation),
        "min_days": municipality.min_consultation_days,
    }
    return render(request, template, context, status_code=status)


async def correct(request: Request):
    def initial(c: Consultation) -> dict:
        return {name: getattr(c, name) for name in changes.CORRECTABLE}

    done = gettext("The correction is published with its reason in the consultation's history.")
    return await _change(
        request, changes.CorrectionInput, changes.correct_consultation, "consultations/correct.html", initial, done
    )


async def dates(request: Request):
    def initial(c: Consultation) -> dict:
        return {"opens_at": _local(c.opens_at, request), "closes_at": _local(c.closes_at, request)}

    done = gettext("The new dates are published with their reason in the consultation's history.")
    return await _change(request, changes.DatesInput, changes.change_dates, "consultations/dates.html", initial, done)


async def cancel(request: Request):
    done = gettext("The consultation is cancelled. Its page says so, with your reason.")
    return await _change(
        request, changes.CancelInput, changes.cancel_consultation, "consultations/cancel.html", lambda c: {}, done
    )


async def publish(request: Request):
    """GET: what is about to be published, written out; POST (from that page): publish it."""
    consultation, municipality = load_managed(request)
    db = request.state.db
    if request.method == "POST":
        try:
            actions.publish_consultation(db, request.state.user, consultation)
        except DomainError as error:
            raise HTTPException(error.status_code, error.translated()) from error
        flash(request, gettext("The consultation is published."))
        return see_other(request.url_for("consultations:detail", slug=consultation.slug))
    if consultation.published_at is not None:
        raise HTTPException(409, gettext("This consultation is already published."))
    version = actions.current_version(db, consultation)
    document = actions.document_of(db, version)
    context = {
        "consultation": consultation,
        "municipality": municipality,
        "paragraphs": sum(len(p) for _s, p in document.sections),
        "sections": len(document.sections),
        "import_notes": actions.import_notes_of(version),
        "status": actions.status_of(consultation),
        "too_late": consultation.closes_at <= utcnow(),
    }
    return render(request, "consultations/publish.html", context)


routes = [
    Route("/consultations/{slug}/publish", publish, methods=["GET", "POST"], name="consultations:publish"),
    Route("/consultations/{slug}/correct", correct, methods=["GET", "POST"], name="consultations:correct"),
    Route("/consultations/{slug}/dates", dates, methods=["GET", "POST"], name="consultations:dates"),
    Route("/consultations/{slug}/cancel", cancel, methods=["GET", "POST"], name="consultations:cancel"),
]
