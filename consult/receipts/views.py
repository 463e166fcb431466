"""A submission's receipt as a page and as a JSON file."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from consult.forms import DomainError
from consult.i18n import gettext
from consult.receipts import actions
from consult.web import render, see_other, send_mail_after


def _load(request: Request) -> actions.Receipt:
    found = actions.receipt(request.state.db, request.path_params["seq"], request.state.user)
    if found is None:
        raise HTTPException(404)
    return found


async def receipt(request: Request):
    found = _load(request)
    context = {
        "receipt": found,
        "label": gettext(actions.RECEIPT_ACTIONS[found.event.action]),
        "submission": actions.submission(request.state.db, found),
    }
    return render(request, "receipts/receipt.html", context)


async def receipt_json(request: Request):
    found = _load(request)
    filename = f"potwierdzenie-{found.event.seq}.json"
    return JSONResponse(found.as_json(), headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def latest(request: Request):
    """The receipt of a comment, proposal, vote or co-signature, by what it is about."""
    kind, subject_id = request.path_params["kind"], request.path_params["subject_id"]
    seq = actions.latest_receipt_seq(request.state.db, kind, subject_id)
    if seq is None:
        raise HTTPException(404)
    return see_other(request.url_for("receipts:receipt", seq=seq))


async def cosign(request: Request):
    """The receipt of an organisation's co-signature."""
    params = request.path_params
    seq = actions.cosign_receipt_seq(request.state.db, params["kind"], params["subject_id"], params["organisation_id"])
    if seq is None:
        raise HTTPException(404)
    return see_other(request.url_for("receipts:receipt", seq=seq))


def with_receipt_mail(request: Request, kind: str, subject_id: int, response: Response) -> Response:
    """The author's confirmation e-mail with the receipt of the comment or proposal just submitted, sent after
    the response (the submission stands whether or not the mail goes)."""
    db, principal = request.state.db, request.state.user
    seq = actions.latest_receipt_seq(db, kind, subject_id)
    if seq is None or principal is None:
        return response
    settings = request.app.state.settings
    link = settings.base_url.rstrip("/") + request.url_for("receipts:receipt", seq=seq).path
    try:
        if not actions.queue_receipt_mail(db, principal.user, seq, link, settings.time_zone):
            return response
    except DomainError:  # past its limit: the receipt is on the page, and what was counted is dropped with the session
        return response
    db.commit()
    return send_mail_after(request, response)


routes = [
    Route("/receipts/{seq:id}", receipt, name="receipts:receipt"),
    Route("/receipts/{seq:id}.json", receipt_json, name="receipts:json"),
    Route("/receipts/{kind}/{subject_id:id}", latest, name="receipts:latest"),
    Route("/receipts/cosign/{kind}/{subject_id:id}/{organisation_id:id}", cosign, name="receipts:cosign"),
]
