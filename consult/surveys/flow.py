"""What every surveys handler shares: loading the survey of the path (drafts for their owners only), the owner's
guard, the form flow written once, and the translated names the templates show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request

from consult.errors import DomainError
from consult.forms import Form, validate
from consult.i18n import _, gettext
from consult.models import Survey
from consult.permissions import can
from consult.surveys import queries
from consult.surveys.actions import ONLY_OWNER
from consult.surveys.ready import READY

KIND_LABELS = {
    "section": _("Section heading"),
    "single": _("Single choice"),
    "multiple": _("Multiple choice"),
    "scale": _("Scale from 1 to 5"),
    "short_text": _("Short text"),
    "long_text": _("Long text"),
    "ranking": _("Ranking"),
}
AUDIENCE_LABELS = {
    "organisations": _("Organisations: one answer per organisation, by its admin or a member designated to vote"),
    "people": _("Signed-in people: one answer per person"),
    "link": _("Anyone with the link, without signing in"),
}
STATE_LABELS = {
    "draft": _("Draft, not opened"),
    "scheduled": _("Opens later"),
    "open": _("Open for answers"),
    "closed": _("Closed"),
}
FORM_LABELS = {
    "owner": _("Who runs the survey"),
    "template": _("Start from"),
    "title": _("Title"),
    "intro": _("Introduction"),
    "audience": _("Who answers"),
    "anonymous": _("Anonymous"),
    "opens_at": _("Opens"),
    "closes_at": _("Closes"),
    "kind": _("Kind of question"),
    "text": _("Question"),
    "help": _("Hint"),
    "options": _("Options"),
    "required": _("Required"),
    "organisation_id": _("Organisation"),
}


def labels() -> dict:
    return {
        "kinds": {k: gettext(v) for k, v in KIND_LABELS.items()},
        "audiences": {k: gettext(v) for k, v in AUDIENCE_LABELS.items()},
        "states": {k: gettext(v) for k, v in STATE_LABELS.items()},
        "form_labels": {k: gettext(v) for k, v in FORM_LABELS.items()},
        "ready": [(r.key, gettext(r.name)) for r in READY.values()],
        "status_of": queries.status_of,
        "options_of": queries.options_of,
    }


def may_manage(request: Request, survey: Survey) -> bool:
    user = request.state.user
    return user is not None and can(user, "survey.manage", queries.owning(request.state.db, user, survey))


def load_survey(request: Request) -> Survey:
    """The survey of the path; a draft is shown to its owners only (404 for anyone else, as if not there)."""
    survey = queries.get_survey(request.state.db, request.path_params["slug"])
    if survey is None or (survey.published_at is None and not may_manage(request, survey)):
        raise HTTPException(404)
    return survey


def load_owned(request: Request) -> Survey:
    if request.state.user is None:
        raise HTTPException(401)
    survey = load_survey(request)
    if not may_manage(request, survey):
        raise HTTPException(403, gettext(ONLY_OWNER))
    return survey


def attempt(request: Request, form: Form, act: Callable[[Any], Any]) -> tuple[Form, int, Any]:
    """Act on a validated form: (form, 200, result), or the form with the refusal beside its field and its status."""
    if not form.ok:
        return form, 422, None
    try:
        result = act(form.data)
    except DomainError as error:
        request.state.db.rollback()
        form.add_error(error)
        return form, error.status_code, None
    return form, 200, result


def checked(model: type[BaseModel], values: dict, prefix: str = "") -> Form:
    form = validate(model, values)
    form.prefix = prefix
    return form


def act_or_raise(request: Request, act: Callable[[], Any]) -> Any:
    """A button's action: a refusal becomes the error page with its status."""
    try:
        return act()
    except DomainError as error:
        request.state.db.rollback()
        raise HTTPException(error.status_code, error.translated()) from error


def local_input(request: Request, value) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(request.app.state.settings.time_zone)).strftime("%Y-%m-%dT%H:%M")
