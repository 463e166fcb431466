"""Co-signing a contribution: the region under a comment or a proposal swaps in place with htmx, or a post and a 303."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.comments.actions import MAX_DISPLAY_DEPTH, get_comment_view
from consult.comments.owners import resolve
from consult.comments.views import location, speaker_options
from consult.cosign import actions
from consult.forms import DomainError, validate, values_of
from consult.i18n import gettext
from consult.models import Thread
from consult.web import flash, is_fragment_request, render, see_other


def load_contribution(request: Request) -> actions.Contribution:
    params = request.path_params
    found = actions.load_contribution(request.state.db, params["kind"], params["subject_id"])
    if found is None or found.consultation.published_at is None:
        raise HTTPException(404)
    return found


def cosign_region(request: Request, contribution: actions.Contribution, *, error: str = "", notice: str = "") -> dict:
    """What the co-signature fragment of one contribution shows (a proposal's page includes it with this)."""
    db = request.state.db
    return {
        "kind": contribution.kind,
        "subject": contribution.subject,
        "signers": actions.signers_of(db, contribution.kind, [contribution.id]).get(contribution.id, []),
        "open": contribution.gate.open,
        "choices": speaker_options(request, contribution.gate),
        "host_id": contribution.municipality.id,
        "error": error,
        "notice": notice,
    }


def proposal_cosign(request: Request, proposal_id: int) -> dict | None:
    """The co-signature region of a proposal's page (None when the proposal is gone)."""
    contribution = actions.load_contribution(request.state.db, "proposal", proposal_id)
    return cosign_region(request, contribution) if contribution else None


def _back(request: Request, contribution: actions.Contribution) -> str:
    """Where the browser goes back to without JavaScript: the contribution's anchor on its page."""
    if contribution.kind == "comment":
        db, comment = request.state.db, contribution.subject
        return location(request, resolve(db, db.get(Thread, comment.thread_id), request.url_for), comment)
    url = request.url_for("proposals:detail", slug=contribution.consultation.slug, proposal_id=contribution.id)
    return f"{url}#proposal-{contribution.id}-cosign"


def _respond(request: Request, contribution: actions.Contribution, message: str, status: int = 200) -> Response:
    """The region again (htmx), or after success a 303 back, or after a refusal a page with the message."""
    error = message if status >= 400 else ""
    if is_fragment_request(request):
        context = {"cosign": cosign_region(request, contribution, error=error, notice="" if error else message)}
        return render(request, "cosign/_cosign.html", context, status_code=status)
    if not error:
        flash(request, message)
        return see_other(_back(request, contribution))
    db = request.state.db
    context = {
        "consultation": contribution.consultation,
        "back_url": _back(request, contribution),
        "view": None,
        "error": error,
        "cosign": cosign_region(request, contribution),
    }
    if contribution.kind == "comment":
        context.update(
            view=get_comment_view(db, contribution.id),
            ctx=resolve(db, db.get(Thread, contribution.subject.thread_id), request.url_for),
            max_depth=MAX_DISPLAY_DEPTH,
            speakers=context["cosign"]["choices"],
        )
    return render(request, "cosign/page.html", context, status_code=status)


async def sign(request: Request):
    values = values_of(await request.form())
    contribution = load_contribution(request)
    form = validate(actions.CosignInput, {"organisation_id": values.get("organisation_id") or None})
    if not form.ok:
        return _respond(request, contribution, gettext("Choose the organisation on whose behalf you co-sign."), 422)
    try:
        actions.cosign_contribution(request.state.db, request.state.user, contribution, form.data)
    except DomainError as error:
        request.state.db.rollback()
        return _respond(request, contribution, error.translated(), error.status_code)
    return _respond(request, contribution, gettext("Your organisation has co-signed this contribution."))


async def withdraw(request: Request):
    values = values_of(await request.form())
    contribution = load_contribution(request)
    form = validate(actions.CosignInput, {"organisation_id": values.get("organisation_id") or None})
    if not form.ok:
        return _respond(request, contribution, gettext("Choose the organisation on whose behalf you co-sign."), 422)
    try:
        organisation = actions.withdraw_cosignature(request.state.db, request.state.user, contribution, form.data)
    except DomainError as error:
        request.state.db.rollback()
        return _respond(request, contribution, error.translated(), error.status_code)
    message = gettext("The co-signature of %(name)s is withdrawn.", name=organisation.name)
    return _respond(request, contribution, message)


routes = [
    Route("/cosign/{kind}/{subject_id:id}", sign, methods=["POST"], name="cosign:sign"),
    Route("/cosign/{kind}/{subject_id:id}/withdraw", withdraw, methods=["POST"], name="cosign:withdraw"),
]
