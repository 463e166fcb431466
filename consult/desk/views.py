"""The official's desk: `/desk`, the consultations of one's municipalities with their next step."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.desk import actions, moderation
from consult.desk.moderation_views import routes as moderation_routes
from consult.i18n import gettext
from consult.organisations.views import require_user
from consult.web import render


async def index(request: Request):
    user = require_user(request)
    db = request.state.db
    municipalities = actions.managed_municipalities(db, user)
    if not municipalities:
        raise HTTPException(403, gettext("The desk is for the officials of a municipality."))
    rows = actions.desk(db, user)
    groups = [(stage, [r for r in rows if r.stage == stage]) for stage in actions.STAGES]
    context = {
        "groups": [(stage, found) for stage, found in groups if found],
        "municipalities": municipalities,
        "open_flags": moderation.count_open_flags(db, user),
    }
    return render(request, "desk/index.html", context)


routes = [
    Route("/desk", index, name="desk:index"),
    *moderation_routes,
]
