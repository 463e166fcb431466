"""Invitation links: signed, expiring, accepted by the holder of the invited address."""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.exceptions import HTTPException
from starlette.requests import Request

from consult.forms import DomainError
from consult.i18n import gettext
from consult.models import Invitation, Organisation
from consult.organisations import actions
from consult.web import flash, render, see_other

MAX_AGE = timedelta(days=14)


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt="consult.invitation")


def link(request: Request, invitation: Invitation) -> str:
    token = _serializer(request).dumps({"inv": invitation.id})
    base = request.app.state.settings.base_url.rstrip("/")
    return base + request.url_for("organisations:invitation", token=token).path


def _invitation_id(request: Request) -> int:
    try:
        data = _serializer(request).loads(request.path_params["token"], max_age=int(MAX_AGE.total_seconds()))
    except SignatureExpired as exc:
        raise HTTPException(400, gettext("This link has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise HTTPException(400, gettext("This link is not valid. Check that you copied all of it.")) from exc
    return int(data["inv"])


async def accept(request: Request):
    invitation_id = _invitation_id(request)
    if request.state.user is None:
        raise HTTPException(401)
    db = request.state.db
    invitation = db.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None:
        raise HTTPException(409, gettext("This invitation has already been used or was withdrawn."))
    if invitation.email != request.state.user.user.email:  # say so before offering a button that cannot work
        raise HTTPException(403, gettext("This invitation was sent to another e-mail address."))
    organisation = db.get(Organisation, invitation.organisation_id)
    if request.method == "GET":
        return render(
            request, "organisations/invitation.html", {"invitation": invitation, "organisation": organisation}
        )
    try:
        organisation = actions.accept_invitation(db, request.state.user, invitation_id)
    except DomainError as error:
        raise HTTPException(error.status_code, error.translated()) from error
    flash(request, gettext("You are now a member of %(name)s.", name=organisation.name))
    return see_other(request.url_for("organisations:profile", slug=organisation.slug))
