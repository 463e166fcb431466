"""The notifications routes: a person's settings, and the unsubscribe link every notification e-mail carries.

The unsubscribe POST is the one route the CSRF check lets through (`one_click_unsubscribe`, given to the CSRF
middleware in app.py). RFC 8058 mail clients POST `List-Unsubscribe=One-Click` to the link with no cookie and no
token of ours, so a CSRF token cannot be asked for. It is safe because the route never acts on the session: the
signed token in the URL is the authority. It names one person and the kinds to stop, only the site's key can make
one, it expires, and it reaches only that person's mailbox; a forged or expired one changes nothing. A third-party
page that could make a browser POST there would need the token, and then could as well follow the link itself.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult.errors import DomainError
from consult.forms import Form, parse_form
from consult.i18n import gettext
from consult.notifications import actions
from consult.notifications.dispatch import KIND_LABELS, KINDS, MODE_LABELS, MODES
from consult.organisations.views import require_user
from consult.web import flash, render, see_other

UNSUBSCRIBE_PREFIX = "/notifications/unsubscribe/"


def one_click_unsubscribe(scope: dict) -> bool:
    """The one route the CSRF check lets through: a POST to an unsubscribe link (the module's docstring says why)."""
    return scope.get("method") == "POST" and str(scope.get("path", "")).startswith(UNSUBSCRIBE_PREFIX)


def _settings_page(request: Request, form: Form | None = None, status_code: int = 200):
    db, principal = request.state.db, request.state.user
    kinds = actions.settings_of(db, principal.id)
    form = form or Form(None, {k.kind: k.mode for k in kinds})
    context = {
        "kinds": kinds,
        "form": form,
        "modes": [(mode, gettext(MODE_LABELS[mode])) for mode in MODES],
        "waiting": actions.waiting_for_digest(db, principal.id),
        "kind_labels": {kind: gettext(label) for kind, label in KIND_LABELS.items()},
    }
    response = render(request, "notifications/settings.html", context)
    response.status_code = status_code
    return response


async def settings(request: Request):
    principal = require_user(request)
    if request.method == "GET":
        return _settings_page(request)
    form = await parse_form(request, actions.SettingsInput)
    if not form.ok:
        return _settings_page(request, form, 422)
    try:
        actions.save_settings(request.state.db, principal, form.data)
    except DomainError as error:
        request.state.db.rollback()
        form.add_error(error)
        return _settings_page(request, form, error.status_code)
    flash(request, gettext("Your notification settings are saved."))
    return see_other(request.url_for("notifications:settings"))


def _refused(request: Request, error: DomainError):
    response = render(request, "notifications/unsubscribe_refused.html", {"message": error.translated()})
    response.status_code = error.status_code
    return response


async def unsubscribe(request: Request):
    """GET: what the link stops, with a button. POST (the button, or a mail client's one click): stop it now."""
    db, secret, token = request.state.db, request.app.state.settings.secret_key, request.path_params["token"]
    try:
        if request.method == "GET":
            _user, kinds = actions.check_token(db, secret, token)
        else:
            _user, kinds = actions.unsubscribe(db, secret, token)
    except DomainError as error:
        db.rollback()
        return _refused(request, error)
    context = {
        "token": token,
        "labels": [gettext(KIND_LABELS[kind]) for kind in KINDS if kind in kinds],
        "done": request.method == "POST",
    }
    return render(request, "notifications/unsubscribe.html", context)


routes = [
    Route("/me/notifications", settings, methods=["GET", "POST"], name="notifications:settings"),
    Route(UNSUBSCRIBE_PREFIX + "{token}", unsubscribe, methods=["GET", "POST"], name="notifications:unsubscribe"),
]
