"""The outbox routes: `/admin/outbox` for the platform admin, with a retry per message and for all given up."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from consult.errors import DomainError
from consult.i18n import gettext, ngettext
from consult.mail import MAX_ATTEMPTS
from consult.organisations.views import refuse, require_user
from consult.outbox import actions
from consult.permissions import Principal, can
from consult.web import flash, render, see_other, send_mail_after


def _admin(request: Request) -> Principal:
    user = require_user(request)
    if not can(user, "outbox.view"):
        raise HTTPException(403, gettext("Only the platform administrator manages the outgoing mail."))
    return user


async def index(request: Request):
    _admin(request)
    state = actions.outbox_state(request.state.db)
    return render(request, "outbox/index.html", {"state": state, "shown": actions.SHOWN, "max_attempts": MAX_ATTEMPTS})


async def retry(request: Request):
    user = _admin(request)
    await request.form()  # read before the transaction (db.py): the CSRF token was checked on it
    try:
        actions.retry_outbox_message(request.state.db, user, request.path_params["message_id"])
    except DomainError as error:
        request.state.db.rollback()
        raise refuse(error) from error
    flash(request, gettext("The message will be sent again now. Reload the page in a moment to see the result."))
    return send_mail_after(request, see_other(str(request.url_for("outbox:index"))))


async def retry_all(request: Request):
    user = _admin(request)
    await request.form()
    count = actions.retry_all_failed(request.state.db, user)
    flash(
        request, ngettext("%(num)d message will be sent again now.", "%(num)d messages will be sent again now.", count)
    )
    return send_mail_after(request, see_other(str(request.url_for("outbox:index"))))


routes: list[BaseRoute] = [
    Route("/admin/outbox", index, name="outbox:index"),
    Route("/admin/outbox/{message_id:id}/retry", retry, methods=["POST"], name="outbox:retry"),
    Route("/admin/outbox/retry-all", retry_all, methods=["POST"], name="outbox:retry_all"),
]
