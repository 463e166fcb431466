"""Working groups' pages: the list, creating and editing a group, its page, the declaration form, the coordinator's
decisions. The documents and the discussion are in document_views.py."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.forms import DomainError, Form, empty_form, parse_form, validate, values_of
from consult.groups import actions, document_views, queries
from consult.groups.documents import documents_of
from consult.groups.rules import GroupAccess
from consult.i18n import gettext
from consult.meetings.queries import upcoming_meetings
from consult.models import GroupDeclaration, Network, User
from consult.organisations.actions import organisations_of
from consult.organisations.views import require_user
from consult.permissions import can
from consult.web import flash, is_fragment_request, render, see_other, send_mail_after


def load_group(request: Request) -> GroupAccess:
    access = queries.get_group(request.state.db, request.path_params["slug"])
    if access is None:
        raise HTTPException(404)
    return access


def _local_input(value, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _refused(form: Form, error: DomainError, request: Request) -> int:
    request.state.db.rollback()
    form.add_error(error)
    return error.status_code


async def list_page(request: Request):
    db, user = request.state.db, request.state.user
    can_create = user is not None and bool(queries.founding_choices(db, user)[0])
    return render(request, "groups/list.html", {"rows": queries.list_groups(db), "can_create": can_create})


async def create(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else {}  # the body first
    user = require_user(request)
    db = request.state.db
    organisations, networks = queries.founding_choices(db, user)
    if not organisations:
        raise HTTPException(
            403,
            gettext(
                "Working groups are created by a municipality's officials, admins of verified organisations "
                "and coordinators of networks."
            ),
        )
    form: Form = empty_form()
    status = 200
    if request.method == "POST":
        form = validate(actions.GroupInput, {**values, "network_id": values.get("network_id") or None})
        status = 422
        if form.ok:
            try:
                group = actions.create_group(db, user, form.data)
            except DomainError as error:
                status = _refused(form, error, request)
            else:
                flash(request, gettext("The working group %(name)s is created. You coordinate it.", name=group.name))
                return see_other(request.url_for("groups:detail", slug=group.slug))
    elif len(organisations) == 1:
        form.values["organisation_id"] = str(organisations[0].id)
    context = {
        "form": form,
        "organisations": [(str(o.id), o.name) for o in organisations],
        "networks": [(str(n.id), n.name) for n in networks],
        "access": None,
    }
    return render(request, "groups/form.html", context, status_code=status)


async def edit(request: Request):
    posted = await parse_form(request, actions.GroupEditInput) if request.method == "POST" else None
    access = load_group(request)
    user = require_user(request)
    if not can(user, "group.edit", access):
        raise HTTPException(
            403, gettext("Only the group's coordinator and its organisation's admins change the group.")
        )
    db, group = request.state.db, access.group
    status = 200
    if posted is None:
        coordinator = db.get(User, group.coordinator_id) if group.coordinator_id else None
        zone = request.app.state.settings.time_zone
        form: Form = Form(
            None,
            {
                "name": group.name,
                "goal": group.goal,
                "declarations_close_at": _local_input(group.declarations_close_at, zone),
                "coordinator_email": coordinator.email if coordinator else "",
            },
        )
    else:
        form, status = posted, 422
        if form.ok:
            try:
                actions.update_group(db, user, access, form.data)
            except DomainError as error:
                status = _refused(form, error, request)
            else:
                flash(request, gettext("The group is saved."))
                return see_other(request.url_for("groups:detail", slug=group.slug))
    return render(request, "groups/form.html", {"form": form, "access": access}, status_code=status)


async def detail(request: Request):
    access = load_group(request)
    db, user, group = request.state.db, request.state.user, access.group
    context = {
        "access": access,
        "group": group,
        "open": queries.is_open(group),
        "coordinator": db.get(User, group.coordinator_id) if group.coordinator_id else None,
        "network": db.get(Network, group.network_id) if group.network_id else None,
        "members": queries.members_of(db, group),
        "documents": documents_of(db, group),
        "meetings": upcoming_meetings(db, group_id=group.id),
        "mine": queries.my_declarations(db, group, user),
        "pending": queries.pending_count(db, group) if can(user, "group.see_declarations", access) else 0,
        "discussion": document_views.discussion_block(request, access, 1),
    }
    return render(request, "groups/detail.html", context)


# --- declarations ---------------------------------------------------------------------------


def _declare_context(request: Request, access: GroupAccess, form: Form) -> dict:
    """The form offers what is left to declare: the reader's organisations without a live declaration, and the
    reader as an individual unless already declared (then the page lists the declarations instead)."""
    db, user = request.state.db, request.state.user
    mine = queries.my_declarations(db, access.group, user)
    taken = queries.live_organisations(db, access.group)
    organisations = [o for o, _role in organisations_of(db, user.id) if o.id not in taken] if user else []
    declared = user is not None and any(
        r.declaration.kind == "individual" and r.declaration.status in actions.LIVE and r.declaration.user_id == user.id
        for r in mine
    )
    return {
        "access": access,
        "group": access.group,
        "open": queries.is_open(access.group),
        "form": form,
        "organisations": organisations,
        "individual": not declared,  # may still declare as an individual
        "may_declare": not declared or bool(organisations),
        "mine": mine,
    }


async def declare(request: Request):
    posted = None
    if request.method == "POST":
        values = values_of(await request.form())
        posted = validate(
            actions.DeclarationInput, {**values, "organisation_id": values.get("organisation_id") or None}
        )
    access = load_group(request)
    db, user = request.state.db, request.state.user
    form: Form = empty_form()
    status = 200
    if posted is None:
        if user is not None:
            form.values.update(name=user.user.display_name, contact=user.user.email, kind="individual")
    elif user is None:  # no form is offered without an account: the page says how to get one
        form, status = posted, 403
    else:
        form, status = posted, 422
        if form.ok:
            zone = request.app.state.settings.time_zone
            try:
                actions.submit_declaration(db, user, access.group, form.data, zone)
            except DomainError as error:
                status = _refused(form, error, request)
            else:
                flash(request, gettext("Your declaration is sent. The coordinator will decide and tell you by e-mail."))
                return see_other(request.url_for("groups:detail", slug=access.group.slug))
    return render(request, "groups/declare.html", _declare_context(request, access, form), status_code=status)


def _load_declaration(request: Request, access: GroupAccess) -> GroupDeclaration:
    declaration = request.state.db.get(GroupDeclaration, request.path_params["declaration_id"])
    if declaration is None or declaration.group_id != access.group.id:
        raise HTTPException(404)
    return declaration


async def withdraw(request: Request):
    access = load_group(request)
    require_user(request)
    declaration = _load_declaration(request, access)
    try:
        actions.withdraw_declaration(request.state.db, request.state.user, declaration)
    except DomainError as error:
        raise HTTPException(error.status_code, error.translated()) from error
    flash(request, gettext("Your declaration is withdrawn."))
    return see_other(request.url_for("groups:detail", slug=access.group.slug))


def _require_coordinator(request: Request, access: GroupAccess) -> None:
    if request.state.user is None:
        raise HTTPException(401)
    if not can(request.state.user, "group.see_declarations", access):
        raise HTTPException(403, gettext("Only the group's coordinator decides on declarations."))


def _declarations_page(request: Request, access: GroupAccess, forms: dict[int, Form], status_code: int = 200):
    rows = queries.declarations_of(request.state.db, access.group)
    for row in rows:
        forms.setdefault(row.declaration.id, Form(None, {}, prefix=f"declaration-{row.declaration.id}-"))
    context = {"access": access, "group": access.group, "rows": rows, "forms": forms}
    return render(request, "groups/declarations.html", context, status_code=status_code)


async def declarations(request: Request):
    access = load_group(request)
    _require_coordinator(request, access)
    return _declarations_page(request, access, {})


def _one(request: Request, access: GroupAccess, declaration: GroupDeclaration, form: Form, status: int, **extra):
    """One declaration's card (htmx), replacing itself after a decision."""
    row = next(r for r in queries.declarations_of(request.state.db, access.group) if r.declaration.id == declaration.id)
    form.prefix = f"declaration-{declaration.id}-"
    context = {"access": access, "group": access.group, "row": row, "form": form, **extra}
    return render(request, "groups/_declaration.html", context, status_code=status)


async def decide(request: Request):
    form = await parse_form(request, actions.DecisionInput)
    access = load_group(request)
    _require_coordinator(request, access)
    declaration = _load_declaration(request, access)
    db, group = request.state.db, access.group
    status = 422
    if form.ok:
        link = request.app.state.settings.base_url.rstrip("/") + request.url_for("groups:detail", slug=group.slug).path
        try:
            actions.decide_declaration(db, request.state.user, access, declaration, form.data, link)
        except DomainError as error:
            status = _refused(form, error, request)
        else:
            accepted = declaration.status == "accepted"
            message = gettext("The declaration is accepted.") if accepted else gettext("The declaration is declined.")
            if is_fragment_request(request):
                response = _one(request, access, declaration, empty_form(), 200, notice=message)
            else:
                flash(request, message)
                page = request.url_for("groups:declarations", slug=group.slug)
                response = see_other(f"{page}#declaration-{declaration.id}")
            return send_mail_after(request, response)
    if is_fragment_request(request):
        return _one(request, access, declaration, form, status)
    form.prefix = f"declaration-{declaration.id}-"
    return _declarations_page(request, access, {declaration.id: form}, status)


routes = [
    Route("/groups", list_page, name="groups:list"),
    Route("/groups/new", create, methods=["GET", "POST"], name="groups:create"),
    Route("/groups/{slug}", detail, name="groups:detail"),
    Route("/groups/{slug}/edit", edit, methods=["GET", "POST"], name="groups:edit"),
    Route("/groups/{slug}/declare", declare, methods=["GET", "POST"], name="groups:declare"),
    Route("/groups/{slug}/declarations", declarations, name="groups:declarations"),
    Route(
        "/groups/{slug}/declarations/{declaration_id:id}/withdraw", withdraw, methods=["POST"], name="groups:withdraw"
    ),
    Route("/groups/{slug}/declarations/{declaration_id:id}/decide", decide, methods=["POST"], name="groups:decide"),
    *document_views.routes,
]
