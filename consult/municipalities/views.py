"""A municipality's public page: its consultations, open, coming and past with their outcome, and its feed."""

from __future__ import annotations

from sqlmodel import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.bulletin.actions import current_month
from consult.consultations.actions import ListFilter, list_consultations, status_of
from consult.meetings.queries import upcoming_meetings
from consult.models import Organisation
from consult.networks.queries import networks_spanning
from consult.records.actions import record_hashes
from consult.web import render


async def municipality(request: Request):
    db = request.state.db
    found = db.exec(
        select(Organisation).where(
            Organisation.slug == request.path_params["slug"], Organisation.kind == "municipality"
        )
    ).first()
    if found is None:
        raise HTTPException(404)
    rows, _total = list_consultations(db, ListFilter(municipality=found.slug), page_size=None)
    grouped: dict[str, list] = {"open": [], "scheduled": [], "closed": []}
    for consultation, _m in rows:
        grouped[status_of(consultation)].append(consultation)
    context = {
        "municipality": found,
        "grouped": grouped,
        "records": record_hashes(db, [c.id for c, _m in rows]),
        "networks": networks_spanning(db, found.id),
        "meetings_upcoming": upcoming_meetings(db, municipality_id=found.id, limit=10),
        "bulletin_month": current_month(request.app.state.settings.time_zone).key,
    }
    return render(request, "municipalities/municipality.html", context)


routes = [Route("/municipalities/{slug}", municipality, name="municipalities:detail")]
