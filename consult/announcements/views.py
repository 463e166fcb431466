"""Announcement pages: the list with its filters, open funding opportunities by deadline and their archive, one
announcement, the form to post and edit, withdrawing, and the Atom feeds (all, per municipality, per network)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from consult.announcements import actions, queries
from consult.announcements.feed import feed_response
from consult.errors import DomainError
from consult.forms import Form, validate, values_of
from consult.i18n import _, current_locale, gettext, ngettext
from consult.labels import field_options
from consult.models import ANNOUNCEMENT_CATEGORIES, FIELDS_OF_ACTIVITY, Announcement, Network, Organisation, User
from consult.organisations.views import require_user
from consult.permissions import can
from consult.web import flash, page_number, render, see_other, send_mail_after

FORM_LABELS = {
    "title": _("Title"),
    "category": _("Kind"),
    "audience": _("Who it is for"),
    "body": _("Text"),
    "funder": _("Funder"),
    "amount_min": _("Lowest amount (zł)"),
    "amount_max": _("Highest amount (zł)"),
    "deadline": _("Last day to apply"),
    "fields": _("Fields of activity"),
    "link": _("Link to the call"),
    "confirm": _("Withdraw"),
}


def days_left(deadline: date | None) -> str:
    """ "zostały 3 dni", "został 1 dzień", "ostatni dzień" on the day itself; "" once it has passed."""
    if deadline is None:
        return ""
    n = queries.days_left(deadline)
    if n < 0:
        return ""
    if n == 0:
        return gettext("last day")
    return ngettext("%(num)d day left", "%(num)d days left", n)


def day_text(value: date | None) -> str:
    if value is None:
        return ""
    locale = current_locale.get()
    return format_date(value, "d MMMM y", locale=locale) + (" r." if locale == "pl" else "")


def amount_text(a: Announcement) -> str:
    def number(n: int) -> str:
        return format_decimal(n, locale=current_locale.get())

    low, high = a.amount_min, a.amount_max
    if low is not None and high is not None and low != high:
        return gettext("%(low)s to %(high)s zł", low=number(low), high=number(high))
    if high is not None:
        return gettext("up to %(high)s zł", high=number(high)) if low is None else f"{number(high)} zł"
    if low is not None:
        return gettext("from %(low)s zł", low=number(low))
    return ""


def labels() -> dict:
    return {
        "categories": {k: gettext(v) for k, v in actions.CATEGORY_LABELS.items()},
        "audiences": {k: gettext(v) for k, v in actions.AUDIENCE_LABELS.items()},
        "form_labels": {k: gettext(v) for k, v in FORM_LABELS.items()},
        "days_left": days_left,
        "day_text": day_text,
        "amount_text": amount_text,
        "today": queries.today(),
    }


def _filter(request: Request) -> queries.Filter:
    """The list's filters from the query string; an unknown value is ignored rather than refused."""
    db, params = request.state.db, request.query_params
    category = params.get("category", "")
    field = params.get("field", "")
    return queries.Filter(
        category=category if category in ANNOUNCEMENT_CATEGORIES else "",
        municipality=queries.by_slug(db, Organisation, params.get("municipality", "")),
        network=queries.by_slug(db, Network, params.get("network", "")),
        field=field if field in FIELDS_OF_ACTIVITY else "",
        page=page_number(request),
    )


def _list_context(request: Request, rows: list[Announcement], total: int, f: queries.Filter) -> dict:
    db = request.state.db
    user = request.state.user
    return {
        "announcements": rows,
        "total": total,
        "filter": f,
        "names": queries.names_for(db, rows),
        "fields_by_id": queries.fields_of(db, [a.id for a in rows]),
        "municipalities": queries.municipalities(db),
        "networks": queries.networks(db),
        "field_choices": field_options(FIELDS_OF_ACTIVITY),
        "may_post": user is not None and can(user, "announcement.write", bool(queries.audience_options(db, user))),
        **labels(),
    }


async def list_page(request: Request):
    f = _filter(request)
    rows, total = queries.list_announcements(request.state.db, request.state.user, f)
    context = _list_context(request, rows, total, f)
    context["pages"] = max((total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, 1)
    return render(request, "announcements/list.html", context, fragment="announcements/_results.html")


async def funding(request: Request):
    f = _filter(request)
    rows, total = queries.opportunities(request.state.db, request.state.user, f)
    context = _list_context(request, rows, total, f) | {"closed": False}
    return render(request, "announcements/funding.html", context, fragment="announcements/_opportunities.html")


async def archive(request: Request):
    f = _filter(request)
    rows, total = queries.opportunities(request.state.db, request.state.user, f, closed=True, limit=queries.PAGE_SIZE)
    context = _list_context(request, rows, total, f) | {"closed": True}
    context["pages"] = max((total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, 1)
    return render(request, "announcements/archive.html", context, fragment="announcements/_opportunities.html")


def load(request: Request) -> Announcement:
    """The announcement of the path; a working group's only for those who read it (404 for anyone else)."""
    db = request.state.db
    announcement = queries.get_announcement(db, request.path_params["slug"])
    if announcement is None or not queries.may_read(db, request.state.user, announcement):
        raise HTTPException(404)
    return announcement


def _detail_context(request: Request, announcement: Announcement, withdraw_form: Form | None = None) -> dict:
    db, user = request.state.db, request.state.user
    return {
        "a": announcement,
        "names": queries.names_for(db, [announcement]),
        "fields": queries.fields_of(db, [announcement.id])[announcement.id],
        "author": db.get(User, announcement.author_id) if announcement.author_id else None,
        "may_edit": user is not None and can(user, "announcement.edit", announcement),
        "may_withdraw": user is not None and can(user, "announcement.withdraw", announcement),
        "withdraw_form": withdraw_form or Form(None, {}),
        **labels(),
    }


async def detail(request: Request):
    return render(request, "announcements/detail.html", _detail_context(request, load(request)))


# --- posting, editing, withdrawing ---------------------------------------------------------------


def _attempt(request: Request, model: type[BaseModel], values: dict, act):
    """Validate and act: (form, 200, result), or the form with its errors and their status, the text kept."""
    form = validate(model, values)
    if not form.ok:
        return form, 422, None
    try:
        return form, 200, act(form.data)
    except DomainError as error:
        request.state.db.rollback()
        form.add_error(error)
        return form, error.status_code, None


def _form_context(request: Request, form: Form, announcement: Announcement | None = None) -> dict:
    db, user = request.state.db, request.state.user
    options = queries.audience_options(db, user)
    audiences = [(o.value, o.name or gettext(actions.AUDIENCE_LABELS["everyone"])) for o in options]
    if announcement is not None:
        current = f"{announcement.audience_kind}:{announcement.audience_id}".removesuffix(":None")
        if current not in {value for value, _ in audiences}:
            audiences.append((current, queries.names_for(db, [announcement]).audience(announcement) or current))
    grouped = [(kind, [(v, n) for v, n in audiences if v.split(":")[0] == kind]) for kind in actions.AUDIENCE_LABELS]
    return {
        "form": form,
        "announcement": announcement,
        "audience_groups": [(kind, items) for kind, items in grouped if items],
        "field_choices": field_options(FIELDS_OF_ACTIVITY),
        **labels(),
    }


def _link_of(request: Request):
    base = request.app.state.settings.base_url.rstrip("/")
    return lambda slug: f"{base}{request.app.url_path_for('announcements:detail', slug=slug)}"


def _require_writer(request: Request):
    user = require_user(request)
    if not can(user, "announcement.write", bool(queries.audience_options(request.state.db, user))):
        raise HTTPException(403, gettext(actions.NOT_YOUR_AUDIENCE))
    return user


async def create(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    user = _require_writer(request)
    db = request.state.db
    initial = {"category": request.query_params.get("category", "general")}
    options = queries.audience_options(db, user)
    wanted = request.query_params.get("audience", "")
    initial["audience"] = wanted if wanted in {o.value for o in options} else options[0].value
    form, status = Form(None, initial), 200
    if values is not None:
        act = lambda d: actions.post_announcement(db, user, d, _link_of(request))  # noqa: E731
        form, status, posted = _attempt(request, actions.AnnouncementInput, values, act)
        if posted is not None:
            flash(request, gettext("The announcement is published."))
            return send_mail_after(request, see_other(request.url_for("announcements:detail", slug=posted.slug)))
    return render(request, "announcements/form.html", _form_context(request, form), status_code=status)


def _stored_values(db, announcement: Announcement) -> dict:
    values = {
        k: "" if v is None else str(v)
        for k, v in announcement.model_dump().items()
        if k in actions.AnnouncementInput.model_fields
    }
    values["audience"] = f"{announcement.audience_kind}:{announcement.audience_id}".removesuffix(":None")
    values["fields[]"] = queries.fields_of(db, [announcement.id])[announcement.id]
    return values


def _load_own(request: Request) -> Announcement:
    user = require_user(request)
    announcement = load(request)
    if not can(user, "announcement.edit", announcement):
        raise HTTPException(403, gettext("Only the announcement's author may change it."))
    return announcement


async def edit(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    announcement = _load_own(request)
    db, user = request.state.db, request.state.user
    form, status = Form(None, _stored_values(db, announcement)), 200
    if values is not None:
        act = lambda d: actions.edit_announcement(db, user, announcement, d)  # noqa: E731
        form, status, changed = _attempt(request, actions.AnnouncementInput, values, act)
        if changed is not None:
            flash(request, gettext("The changes are saved."))
            return see_other(request.url_for("announcements:detail", slug=changed.slug))
    context = _form_context(request, form, announcement)
    return render(request, "announcements/form.html", context, status_code=status)


async def withdraw(request: Request):
    values = values_of(await request.form())
    user = require_user(request)
    announcement = load(request)
    if not can(user, "announcement.withdraw", announcement):
        raise HTTPException(403, gettext("Only the announcement's author may withdraw it."))
    act = lambda _d: actions.withdraw_announcement(request.state.db, user, announcement)  # noqa: E731
    form, status, done = _attempt(request, actions.WithdrawInput, values, act)
    if done is None:
        if status in (403, 409):
            raise HTTPException(status, next(iter(form.errors.values())))
        context = _detail_context(request, announcement, form)
        return render(request, "announcements/detail.html", context, status_code=status)
    flash(request, gettext("The announcement is withdrawn."))
    return see_other(request.url_for("announcements:detail", slug=announcement.slug))


async def feed(request: Request) -> Response:
    return feed_response(request)


routes: list[BaseRoute] = [
    Route("/announcements", list_page, name="announcements:list"),
    Route("/announcements/funding", funding, name="announcements:funding"),
    Route("/announcements/funding/archive", archive, name="announcements:archive"),
    Route("/announcements/new", create, methods=["GET", "POST"], name="announcements:create"),
    Route("/announcements/{slug}", detail, name="announcements:detail"),
    Route("/announcements/{slug}/edit", edit, methods=["GET", "POST"], name="announcements:edit"),
    Route("/announcements/{slug}/withdraw", withdraw, methods=["POST"], name="announcements:withdraw"),
    Route("/feeds/announcements.atom", feed, name="announcements:feed"),
]
