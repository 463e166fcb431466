"""What every meetings handler shares: loading the meeting of the path (drafts for their organisers only), and the
form flow written once (validate, act, and on a refusal roll back and put the error beside its field)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request

from consult.errors import DomainError
from consult.forms import Form, validate
from consult.i18n import gettext
from consult.meetings import queries
from consult.meetings.inputs import ONLY_ORGANISERS
from consult.models import Meeting
from consult.permissions import can


def load_meeting(request: Request) -> Meeting:
    """The meeting of the path; a draft is shown to its organisers only (404 for anyone else, as if not there)."""
    db = request.state.db
    meeting = queries.get_meeting(db, request.path_params["slug"])
    if meeting is None:
        raise HTTPException(404)
    if meeting.published_at is None and not may_organise(request, meeting):
        raise HTTPException(404)
    return meeting


def may_organise(request: Request, meeting: Meeting) -> bool:
    user = request.state.user
    return user is not None and can(user, "meeting.organise", queries.organising(request.state.db, user, meeting))


def load_organised(request: Request) -> Meeting:
    """The meeting of the path, for its organisers only: 401 signed out, 403 for anyone else."""
    if request.state.user is None:
        raise HTTPException(401)
    meeting = load_meeting(request)
    if not may_organise(request, meeting):
        raise HTTPException(403, gettext(ONLY_ORGANISERS))
    return meeting


def attempt(request: Request, model: type[BaseModel], values: dict, act: Callable[[Any], Any]) -> tuple[Form, int, Any]:
    """Validate the values and act on them: (form, 200, result), or the form with its errors and their status."""
    form = validate(model, values)
    if not form.ok:
        return form, 422, None
    try:
        result = act(form.data)
    except DomainError as error:
        request.state.db.rollback()
        form.add_error(error)
        return form, error.status_code, None
    return form, 200, result


def local_input(request: Request, value) -> str:
    """A stored UTC time as a datetime-local field shows it, in the site's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(request.app.state.settings.time_zone)).strftime("%Y-%m-%dT%H:%M")


def meeting_url(request: Request, meeting: Meeting) -> str:
    """The meeting's page at the site's own address (for e-mails), not the one this request came by."""
    base = request.app.state.settings.base_url.rstrip("/")
    return f"{base}{request.app.url_path_for('meetings:detail', slug=meeting.slug)}"
