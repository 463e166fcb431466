"""Register, confirm, log in and out, forgotten password."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.routing import Route

from consult.accounts import actions
from consult.forms import DomainError, Form, empty_form, parse_form
from consult.i18n import gettext
from consult.mail import queue_mail
from consult.models import User
from consult.web import flash, render, safe_next, see_other, send_mail_after


def _settings(request: Request):
    return request.app.state.settings


def _link(request: Request, route: str, **params: str) -> str:
    return _settings(request).base_url.rstrip("/") + request.url_for(route, **params).path


def client_ip(request: Request) -> str:
    """The reader's address: the peer, or what a proxy named in TRUSTED_PROXIES forwarded (see create_app)."""
    return request.client.host if request.client else "unknown"


def _form_page(request: Request, template: str, form: Form, status_code: int = 422, **extra):
    return render(request, template, {"form": form, **extra}, status_code=status_code)


def _sign_up_mail(request: Request, user: User, created: bool) -> tuple[str, str]:
    """The subject and text for whoever holds the address: the page says the same to a stranger either way."""
    if created or user.confirmed_at is None:
        link = _link(request, "accounts:confirm", token=actions.make_confirm_token(_settings(request).secret_key, user))
        return gettext("Confirm your e-mail address"), gettext(
            "Open this link to confirm your account in consult:\n\n%(link)s\n\nIt is valid for 3 days.", link=link
        )
    return gettext("You already have an account"), gettext(
        "Someone, perhaps you, tried to register in consult with this address, which already has an account. "
        "Log in here:\n\n%(login)s\n\nIf you have forgotten the password, set a new one:\n\n%(forgot)s\n\n"
        "If it was not you, ignore this message.",
        login=_link(request, "accounts:login"),
        forgot=_link(request, "accounts:forgot"),
    )


async def register(request: Request):
    if request.method == "GET":
        return render(request, "accounts/register.html", {"form": empty_form()})
    form = await parse_form(request, actions.RegisterInput)
    if not form.ok:
        return _form_page(request, "accounts/register.html", form)
    db = request.state.db
    try:
        user, created = actions.sign_up(db, form.data, client_ip(request))
    except DomainError as error:
        db.rollback()
        form.add_error(error)
        return _form_page(request, "accounts/register.html", form, status_code=error.status_code)
    queue_mail(db, user.email, *_sign_up_mail(request, user, created))
    db.commit()
    return send_mail_after(
        request, render(request, "accounts/check_inbox.html", {"email": form.data.email, "reset": False})
    )


async def confirm(request: Request):
    try:
        actions.confirm_user(request.state.db, _settings(request).secret_key, request.path_params["token"])
    except DomainError as error:
        return render(request, "accounts/link_problem.html", {"message": error.translated()}, status_code=400)
    flash(request, gettext("Your e-mail address is confirmed. You can log in now."))
    return see_other(request.url_for("accounts:login"))


async def login(request: Request):
    next_url = safe_next(request.query_params.get("next"), request.url_for("me:index").path)  # by default: my page
    if request.method == "GET":
        return render(request, "accounts/login.html", {"form": empty_form(), "next": next_url})
    form = await parse_form(request, actions.LoginInput)
    if not form.ok:
        return _form_page(request, "accounts/login.html", form, next=next_url)
    settings = _settings(request)
    try:
        user = actions.authenticate(
            request.state.db,
            form.data,
            client_ip(request),
            max_failures=settings.login_max_failures,
            window=timedelta(minutes=settings.login_window_minutes),
        )
    except DomainError as error:
        form.add_error(error)
        form.values.pop("password", None)
        return _form_page(request, "accounts/login.html", form, status_code=error.status_code, next=next_url)
    if previous := request.session.get("sid"):  # logging in again replaces the session, it does not add one
        actions.end_session(request.state.db, previous)
    request.session.clear()  # a new session id and CSRF token at every log-in
    request.session["sid"] = actions.start_session(request.state.db, user)
    flash(request, gettext("You are logged in as %(name)s.", name=user.display_name))
    return see_other(safe_next(form.values.get("next"), next_url))


async def logout(request: Request):
    sid = request.session.get("sid")
    if sid:
        actions.end_session(request.state.db, sid)
    request.session.clear()
    flash(request, gettext("You are logged out."))
    return see_other(request.url_for("pages:home"))


async def forgot_password(request: Request):
    if request.method == "GET":
        return render(request, "accounts/forgot.html", {"form": empty_form()})
    form = await parse_form(request, actions.ForgotInput)
    if not form.ok:
        return _form_page(request, "accounts/forgot.html", form)
    db = request.state.db
    try:
        found = actions.request_password_reset(db, _settings(request).secret_key, form.data.email, client_ip(request))
    except DomainError as error:
        db.rollback()
        form.add_error(error)
        return _form_page(request, "accounts/forgot.html", form, status_code=error.status_code)
    if found is not None:
        user, token = found
        link = _link(request, "accounts:reset", token=token)
        queue_mail(
            db,
            user.email,
            gettext("Set a new password"),
            gettext(
                "Open this link to set a new password in consult:\n\n%(link)s\n\n"
                "It is valid for 2 hours. If you did not ask for it, ignore this message.",
                link=link,
            ),
        )
        db.commit()
    # The same answer whether or not the address has an account, sent before any mail: nothing to learn from it.
    response = render(request, "accounts/check_inbox.html", {"email": form.data.email, "reset": True})
    return send_mail_after(request, response) if found is not None else response


async def reset(request: Request):
    form = await parse_form(request, actions.ResetInput) if request.method == "POST" else empty_form()
    db, secret, token = request.state.db, _settings(request).secret_key, request.path_params["token"]
    try:
        actions.user_for_reset(db, secret, token)
    except DomainError as error:
        return render(request, "accounts/link_problem.html", {"message": error.translated()}, status_code=400)
    if request.method == "GET":
        return render(request, "accounts/reset.html", {"form": form})
    if form.ok:
        try:
            actions.reset_password(db, secret, token, form.data)
        except DomainError as error:
            form.add_error(error)
    if not form.ok:
        return _form_page(request, "accounts/reset.html", form)
    request.session.clear()
    flash(request, gettext("Your new password is set. Log in with it."))
    return see_other(request.url_for("accounts:login"))


routes = [
    Route("/register", register, methods=["GET", "POST"], name="accounts:register"),
    Route("/confirm/{token}", confirm, name="accounts:confirm"),
    Route("/login", login, methods=["GET", "POST"], name="accounts:login"),
    Route("/logout", logout, methods=["POST"], name="accounts:logout"),
    Route("/password/forgot", forgot_password, methods=["GET", "POST"], name="accounts:forgot"),
    Route("/password/reset/{token}", reset, methods=["GET", "POST"], name="accounts:reset"),
]
