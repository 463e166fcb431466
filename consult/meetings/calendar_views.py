"""Calendars: one meeting's .ics file, and the feeds a calendar program subscribes to, of an organisation (the
meetings it organises), a network, a working group and a municipality (those it organises, those for its
organisations, those of networks spanning it)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.i18n import gettext
from consult.meetings import calendar, queries
from consult.meetings.flow import load_meeting
from consult.models import Meeting, Network, Organisation, WorkingGroup


def _entries(request: Request, meetings: list[Meeting]) -> list[calendar.Entry]:
    db = request.state.db
    names = {o.id: o.name for o in queries.organisers(db, meetings).values()}
    return [
        calendar.Entry(
            meeting,
            str(request.url_for("meetings:detail", slug=meeting.slug)),
            queries.venue_text(db, meeting),
            names.get(meeting.organisation_id, ""),
        )
        for meeting in meetings
    ]


def _ics(request: Request, name: str, meetings: list[Meeting], filename: str) -> Response:
    settings = request.app.state.settings
    body = calendar.calendar(name, _entries(request, meetings), settings.base_url, settings.time_zone)
    safe = filename if filename.isascii() and '"' not in filename else "calendar"  # a header carries ASCII only
    headers = {"Content-Disposition": f'inline; filename="{safe}.ics"'}
    return Response(body, media_type=calendar.MEDIA_TYPE, headers=headers)


async def meeting_ics(request: Request):
    meeting = load_meeting(request)
    return _ics(request, meeting.title, [meeting], meeting.slug)


def _feed(model: type, param: str, owner: str, extra: Callable[[object], bool] = lambda _o: True):
    async def feed(request: Request):
        db = request.state.db
        slug = request.path_params[param]
        found = db.exec(select(model).where(model.slug == slug)).first()
        if found is None or not extra(found):
            raise HTTPException(404)
        meetings = queries.calendar_meetings(db, **{owner: found.id})
        return _ics(request, gettext("Meetings: %(name)s", name=found.name), meetings, slug)

    return feed


routes = [
    Route("/meetings/{slug}.ics", meeting_ics, name="meetings:ics"),
    Route(
        "/calendar/organisations/{organisation_slug}.ics",
        _feed(Organisation, "organisation_slug", "organisation_id"),
        name="meetings:organisation_calendar",
    ),
    Route(
        "/calendar/networks/{network_slug}.ics",
        _feed(Network, "network_slug", "network_id"),
        name="meetings:network_calendar",
    ),
    Route(
        "/calendar/groups/{group_slug}.ics",
        _feed(WorkingGroup, "group_slug", "group_id"),
        name="meetings:group_calendar",
    ),
    Route(
        "/calendar/municipalities/{municipality_slug}.ics",
        _feed(Organisation, "municipality_slug", "municipality_id", lambda o: o.kind == "municipality"),
        name="meetings:municipality_calendar",
    ),
]
