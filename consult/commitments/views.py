"""The commitments routes: a municipality's list, one commitment with its history, and the officials' change.

The change form posts to the commitment; with htmx the commitment's region comes back in place, without it a 303
goes back to the commitment's page with a banner. A refused change comes back with status 422 and the typed text.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from consult.answers.contributions import position_label
from consult.commitments import queries
from consult.commitments.actions import CommitmentInput, change_commitment
from consult.errors import DomainError
from consult.forms import Form, parse_form
from consult.i18n import gettext
from consult.models import COMMITMENT_STATUSES, Organisation
from consult.organisations.views import require_user
from consult.permissions import can
from consult.web import flash, is_fragment_request, render, see_other


def load_commitment(request: Request) -> tuple[queries.CommitmentRow, Organisation]:
    db = request.state.db
    row = queries.get_commitment(db, request.path_params["commitment_id"])
    if row is None:
        raise HTTPException(404)
    return row, db.get(Organisation, row.commitment.municipality_id)


def _form_of(row: queries.CommitmentRow) -> Form:
    c = row.commitment
    values = {"status": c.status, "reason": c.reason, "responsible": c.responsible, "due_on": c.due_on or ""}
    return Form(None, {k: "" if v is None else str(v) for k, v in values.items()})


def _context(request: Request, row, municipality, form: Form | None = None, notice: str = "") -> dict:
    return {
        "row": row,
        "municipality": municipality,
        "history": queries.history_of(request.state.db, row.id),
        "may_change": can(request.state.user, "commitment.change", municipality),
        "form": form or _form_of(row),
        "statuses": [(s, queries.status_label(s)) for s in COMMITMENT_STATUSES],
        "notice": notice,
        "day": queries.day_text,
        "position_label": position_label,
    }


async def detail(request: Request):
    row, municipality = load_commitment(request)
    return render(request, "commitments/detail.html", _context(request, row, municipality))


async def change(request: Request):
    form = await parse_form(request, CommitmentInput)
    row, municipality = load_commitment(request)
    db, user = request.state.db, require_user(request)
    if not can(user, "commitment.change", municipality):
        raise HTTPException(403, gettext("Only the municipality's officials change its commitments."))
    status = 422
    if form.ok:
        try:
            change_commitment(db, user, row.commitment, form.data)
        except DomainError as error:
            db.rollback()
            if error.status_code == 403:
                raise HTTPException(403, error.translated()) from error
            form.add_error(error)
            status = error.status_code
        else:
            message = gettext("The commitment is updated: %(status)s.", status=queries.status_label(form.data.status))
            if is_fragment_request(request):
                row, municipality = load_commitment(request)
                context = _context(request, row, municipality, notice=message)
                return render(request, "commitments/_commitment.html", context)
            flash(request, message)
            return see_other(request.url_for("commitments:detail", commitment_id=row.id))
    row, municipality = load_commitment(request)
    context = _context(request, row, municipality, form=form)
    return render(
        request, "commitments/detail.html", context, fragment="commitments/_commitment.html", status_code=status
    )


async def municipality_list(request: Request):
    """The municipality's open commitments (planned, in force); ?all=1 adds those done and dropped."""
    db = request.state.db
    municipality = queries.municipality_by_slug(db, request.path_params["slug"])
    if municipality is None:
        raise HTTPException(404)
    show_all = request.query_params.get("all") == "1"
    context = {
        "municipality": municipality,
        "rows": queries.municipality_commitments(db, municipality.id, only_open=not show_all),
        "counts": queries.count_by_status(db, municipality.id),
        "show_all": show_all,
        "status_text_of": {s: queries.status_label(s) for s in COMMITMENT_STATUSES},
        "day": queries.day_text,
    }
    return render(request, "commitments/municipality.html", context)


routes: list[BaseRoute] = [
    Route("/municipalities/{slug}/commitments", municipality_list, name="commitments:municipality"),
    Route("/commitments/{commitment_id:id}", detail, name="commitments:detail"),
    Route("/commitments/{commitment_id:id}", change, methods=["POST"], name="commitments:change"),
]
