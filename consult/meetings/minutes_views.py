"""After the meeting: its minutes, and a point of the minutes entered into an open consultation."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.forms import Form, values_of
from consult.i18n import _, gettext
from consult.meetings import after, inputs, points
from consult.meetings.flow import attempt, load_meeting, load_organised
from consult.meetings.meeting_views import labels, state_of
from consult.models import Meeting, utcnow
from consult.organisations.views import require_user
from consult.web import flash, render, see_other

POINT_LABELS = {
    "consultation_id": _("Consultation"),
    "sender": _("Who made the point"),
    "organisation_id": _("Organisation"),
    "sender_name": _("Name of the person"),
    "body": _("The point"),
}


async def minutes(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    meeting = load_organised(request)
    db, user = request.state.db, request.state.user
    form, status = Form(None, {"minutes": meeting.minutes}), 200
    if values is not None:
        act = lambda d: after.publish_minutes(db, user, meeting, d)  # noqa: E731
        form, status, done = attempt(request, inputs.MinutesInput, values, act)
        if done is not None:
            flash(request, gettext("The minutes are published on the meeting's page."))
            return see_other(f"{request.url_for('meetings:detail', slug=meeting.slug)}#meeting-{meeting.id}-minutes")
    held = meeting.published_at is not None and meeting.starts_at <= utcnow() and meeting.cancelled_at is None
    context = {"meeting": meeting, "form": form, "held": held, "state": state_of(meeting), **labels()}
    return render(request, "meetings/minutes.html", context, status_code=status)


def _require_official(request: Request, meeting: Meeting) -> list:
    """The open consultations this official may enter the meeting's points into (403 when none is theirs)."""
    user = require_user(request)
    if not (user.is_admin or points.municipal_offices(request.state.db, user)):
        raise HTTPException(
            403, gettext("Only the officials of the consultation's municipality can enter points into it.")
        )
    if meeting.minutes_published_at is None:
        raise HTTPException(409, gettext("The minutes are not published yet."))
    return points.open_consultations_for(request.state.db, user, meeting.starts_at)


def _initial(request: Request, meeting: Meeting, consultations: list, organisations: list) -> dict:
    listed = points.minutes_points(meeting.minutes)
    try:
        chosen = int(request.query_params.get("point", ""))
    except ValueError:
        chosen = 0
    body = listed[chosen - 1] if 1 <= chosen <= len(listed) else ""
    values = {"body": body, "sender": "organisation"}
    if len(consultations) == 1:  # the only one there is, chosen already
        values["consultation_id"] = str(consultations[0].id)
    if len(organisations) == 1:
        values["organisation_id"] = str(organisations[0].id)
    return values


async def enter_point(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    meeting = load_meeting(request)
    consultations = _require_official(request, meeting)
    db, user = request.state.db, request.state.user
    organisations = points.registered_organisations(db, meeting.id)
    form, status = Form(None, _initial(request, meeting, consultations, organisations)), 200
    if values is not None:
        zone = request.app.state.settings.time_zone
        act = lambda d: points.enter_minutes_point(db, user, meeting, d, zone)  # noqa: E731
        form, status, point = attempt(request, points.PointInput, values, act)
        if point is not None:
            flash(request, gettext("The point is entered into the consultation, marked as said at a meeting."))
            return see_other(f"{request.url_for('meetings:detail', slug=meeting.slug)}#meeting-{meeting.id}-points")
    context = {
        "meeting": meeting,
        "form": form,
        "consultations": [(str(c.id), c.title) for c in consultations],
        "organisations": [(str(o.id), o.name) for o in organisations],
        "point_labels": {k: gettext(v) for k, v in POINT_LABELS.items()},
    }
    return render(request, "meetings/point.html", context, status_code=status)


routes = [
    Route("/meetings/{slug}/minutes", minutes, methods=["GET", "POST"], name="meetings:minutes"),
    Route("/meetings/{slug}/points/new", enter_point, methods=["GET", "POST"], name="meetings:enter_point"),
]
