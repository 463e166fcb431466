"""My page: where a signed-in person lands, with what they and their organisations have going on."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult.consultations.actions import status_of
from consult.i18n import gettext
from consult.me import actions
from consult.organisations.views import require_user
from consult.proposals.votes import VOTED_LABELS
from consult.web import render


async def index(request: Request):
    principal = require_user(request)
    context = {
        "me": actions.my_page(request.state.db, principal),
        "status_of": status_of,
        "voted": {choice: gettext(label) for choice, label in VOTED_LABELS.items()},
    }
    return render(request, "me/index.html", context)


routes = [Route("/me", index, name="me:index")]
