"""The directory, profiles, and the pages where admins manage members."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.forms import DomainError, Form, empty_form, parse_form, values_of
from consult.i18n import gettext
from consult.mail import queue_mail
from consult.meetings.queries import upcoming_meetings
from consult.models import FIELDS_OF_ACTIVITY, ORGANISATION_KINDS, ROLES, Organisation
from consult.networks.queries import networks_of_organisation
from consult.opinions.actions import council_choices
from consult.organisations import actions, invitations
from consult.organisations.voting import set_voting
from consult.permissions import Principal, can
from consult.web import flash, page_number, render, see_other, send_mail_after


def require_user(request: Request) -> Principal:
    """The signed-in principal; otherwise 401, which the error handler turns into the log-in page."""
    if request.state.user is None:
        raise HTTPException(401)
    return request.state.user


def load_organisation(request: Request) -> Organisation:
    organisation = actions.get_organisation(request.state.db, request.path_params["slug"])
    if organisation is None:
        raise HTTPException(404)
    return organisation


def refuse(error: DomainError) -> HTTPException:
    return HTTPException(error.status_code, error.translated())


def _choices() -> dict:
    return {"kinds": ORGANISATION_KINDS, "fields": FIELDS_OF_ACTIVITY, "roles": ROLES}


async def directory(request: Request):
    params = request.query_params
    page = page_number(request)
    f = actions.DirectoryFilter(
        kind=params.get("kind", ""),
        field=params.get("field", ""),
        area=params.get("area", "").strip(),
        q=params.get("q", "").strip(),
        verified=params.get("verified") == "1",
        page=page,
    )
    organisations, total = actions.list_directory(request.state.db, f)
    context = {
        "organisations": organisations,
        "total": total,
        "filter": f,
        "page_size": actions.PAGE_SIZE,
        "fields_by_org": actions.fields_of(request.state.db, [o.id for o in organisations]),
        **_choices(),
    }
    return render(request, "organisations/directory.html", context, fragment="organisations/_results.html")


def _profile_context(request: Request, organisation: Organisation, join_form: Form | None = None) -> dict:
    db, user = request.state.db, request.state.user
    return {
        "organisation": organisation,
        "fields": actions.fields_of(db, [organisation.id])[organisation.id],
        "role": user.roles.get(organisation.id) if user else None,
        "membership": actions.membership_of(db, organisation, user.id) if user else None,
        "can_edit": can(user, "organisation.edit", organisation),
        "can_verify": can(user, "organisation.verify", organisation),
        "council": db.get(Organisation, organisation.benefit_council_id) if organisation.benefit_council_id else None,
        "networks": networks_of_organisation(db, organisation.id),
        "meetings_upcoming": upcoming_meetings(db, organisation_id=organisation.id, limit=5),
        "can_join": can(user, "organisation.request_to_join", organisation),
        "join_pending": bool(user) and actions.has_pending_request(db, organisation, user.id),
        "form": join_form or empty_form(),
    }


async def profile(request: Request):
    organisation = load_organisation(request)
    return render(request, "organisations/profile.html", _profile_context(request, organisation))


async def create(request: Request):
    user = require_user(request)
    if not can(user, "organisation.create"):
        raise HTTPException(403, gettext("Confirm your e-mail address first: open the link we sent you."))
    form: Form = empty_form()
    if request.method == "POST":
        form = await parse_form(request, actions.OrganisationInput)
        if form.ok:
            try:
                organisation = actions.create_organisation(request.state.db, user, form.data)
            except DomainError as error:
                if error.status_code == 403:
                    raise refuse(error) from error
                form.add_error(error)
            else:
                flash(request, gettext("The organisation %(name)s has been created.", name=organisation.name))
                return see_other(request.url_for("organisations:profile", slug=organisation.slug))
    context = {"form": form, "organisation": None, **_choices(), "can_create_municipality": user.is_admin}
    return render(request, "organisations/form.html", context, status_code=422 if form.errors else 200)


async def edit(request: Request):
    posted = await parse_form(request, actions.OrganisationInput) if request.method == "POST" else None
    organisation = load_organisation(request)
    user = require_user(request)
    if not can(user, "organisation.edit", organisation):
        raise HTTPException(403)
    db = request.state.db
    if request.method == "GET":
        values = organisation.model_dump() | {"fields": actions.fields_of(db, [organisation.id])[organisation.id]}
        form: Form = Form(None, {k: ("" if v is None else v) for k, v in values.items()})
    else:
        form = posted
        if form.ok:
            was_verified = organisation.verified_at is not None
            try:
                actions.update_organisation(db, user, organisation, form.data)
            except DomainError as error:
                if error.status_code == 403:
                    raise refuse(error) from error
                form.add_error(error)
            else:
                saved = gettext("The profile has been saved.")
                if was_verified and organisation.verified_at is None:
                    saved = gettext(
                        "The profile has been saved. Its name or KRS number changed: "
                        "a platform admin must verify the organisation again."
                    )
                flash(request, saved)
                return send_mail_after(
                    request, see_other(request.url_for("organisations:profile", slug=organisation.slug))
                )
    context = {"form": form, "organisation": organisation, **_choices(), "can_create_municipality": user.is_admin}
    if organisation.kind == "municipality":  # its public benefit council: a form of its own below the profile's
        council = Form(None, {"council_id": str(organisation.benefit_council_id or "")}, prefix="council-")
        context |= {"council_form": council, "councils": council_choices(db, organisation)}
    return render(request, "organisations/form.html", context, status_code=422 if form.errors else 200)


def _members_context(request: Request, organisation: Organisation, invite_form: Form | None = None) -> dict:
    db = request.state.db
    return {
        "organisation": organisation,
        "members": actions.members_of(db, organisation),
        "invitations": actions.pending_invitations(db, organisation),
        "join_requests": actions.pending_join_requests(db, organisation),
        "invite_form": invite_form or empty_form(),
        "roles": [r for r in ROLES if r != "official" or organisation.kind == "municipality"],
    }


def _require_manager(request: Request, organisation: Organisation):
    user = require_user(request)
    if not can(user, "organisation.manage_members", organisation):
        raise HTTPException(403)
    return user


async def members(request: Request):
    organisation = load_organisation(request)
    _require_manager(request, organisation)
    return render(request, "organisations/members.html", _members_context(request, organisation))


async def invite(request: Request):
    form = await parse_form(request, actions.InvitationInput)
    organisation = load_organisation(request)
    user = _require_manager(request, organisation)
    db = request.state.db
    if form.ok:
        try:
            invitation = actions.invite_member(db, user, organisation, form.data)
        except DomainError as error:
            form.add_error(error)
        else:
            link = invitations.link(request, invitation)
            queue_mail(
                db,
                invitation.email,
                gettext("Invitation to %(name)s", name=organisation.name),
                gettext(
                    "%(who)s invites you to join %(name)s in consult. Open this link to accept:\n\n%(link)s",
                    who=user.user.display_name,
                    name=organisation.name,
                    link=link,
                ),
            )
            db.commit()
            flash(request, gettext("The invitation has been sent to %(email)s.", email=invitation.email))
            return send_mail_after(request, see_other(request.url_for("organisations:members", slug=organisation.slug)))
    return render(request, "organisations/members.html", _members_context(request, organisation, form), status_code=422)


async def manage_member(request: Request):
    """Change a member's role or remove them (a member may also leave)."""
    values = values_of(await request.form())
    organisation = load_organisation(request)
    user = require_user(request)
    membership_id = request.path_params["membership_id"]
    try:
        if values.get("action") == "remove":
            removed = actions.remove_member(request.state.db, user, organisation, membership_id)
            flash(
                request,
                gettext("You have left the organisation.")
                if removed.user_id == user.id
                else gettext("The member has been removed."),
            )
            if removed.user_id == user.id:
                return see_other(request.url_for("organisations:profile", slug=organisation.slug))
        else:
            actions.change_role(request.state.db, user, organisation, membership_id, str(values.get("role", "")))
            flash(request, gettext("The role has been changed."))
    except DomainError as error:
        raise refuse(error) from error
    return see_other(request.url_for("organisations:members", slug=organisation.slug))


async def voting(request: Request):
    """An admin designates a member to vote for the organisation on proposals, or takes the designation back."""
    votes = (await request.form()).get("votes") == "1"
    organisation = load_organisation(request)
    user = require_user(request)
    try:
        set_voting(request.state.db, user, organisation, request.path_params["membership_id"], votes)
    except DomainError as error:
        raise refuse(error) from error
    flash(
        request,
        gettext("The member now votes for the organisation on proposals.")
        if votes
        else gettext("The member no longer votes for the organisation."),
    )
    return see_other(request.url_for("organisations:members", slug=organisation.slug))


async def withdraw_invitation(request: Request):
    organisation = load_organisation(request)
    user = require_user(request)
    try:
        actions.withdraw_invitation(request.state.db, user, organisation, request.path_params["invitation_id"])
    except DomainError as error:
        raise refuse(error) from error
    flash(request, gettext("The invitation has been withdrawn."))
    return see_other(request.url_for("organisations:members", slug=organisation.slug))


async def join(request: Request):
    form = await parse_form(request, actions.JoinRequestInput)
    organisation = load_organisation(request)
    user = require_user(request)
    if not form.ok:  # the message beside its field, where the form is offered
        if not can(user, "organisation.request_to_join", organisation):
            raise HTTPException(403)
        context = _profile_context(request, organisation, form)
        return render(request, "organisations/profile.html", context, status_code=422)
    try:
        actions.request_to_join(request.state.db, user, organisation, form.data)
    except DomainError as error:
        raise refuse(error) from error
    flash(request, gettext("Your request has been sent. The organisation's admins will decide."))
    return see_other(request.url_for("organisations:profile", slug=organisation.slug))


async def decide_request(request: Request):
    approve = (await request.form()).get("decision") == "approve"
    organisation = load_organisation(request)
    user = require_user(request)
    try:
        actions.decide_join_request(request.state.db, user, organisation, request.path_params["request_id"], approve)
    except DomainError as error:
        raise refuse(error) from error
    flash(request, gettext("The request has been approved.") if approve else gettext("The request has been rejected."))
    return see_other(request.url_for("organisations:members", slug=organisation.slug))


async def verification(request: Request):
    verify = (await request.form()).get("decision") != "revoke"
    organisation = load_organisation(request)
    user = require_user(request)
    try:
        if verify:
            actions.verify_organisation(request.state.db, user, organisation)
        else:
            actions.revoke_verification(request.state.db, user, organisation)
    except DomainError as error:
        raise refuse(error) from error
    flash(request, gettext("The organisation is verified.") if verify else gettext("The verification is revoked."))
    return see_other(request.url_for("organisations:profile", slug=organisation.slug))


async def mine(request: Request):
    user = request.state.user
    if user is None:
        return see_other(request.url_for("accounts:login").include_query_params(next=request.url.path))
    return render(
        request, "organisations/mine.html", {"memberships": actions.organisations_of(request.state.db, user.id)}
    )


routes = [
    Route("/organisations", directory, name="organisations:directory"),
    Route("/organisations/new", create, methods=["GET", "POST"], name="organisations:create"),
    Route("/my/organisations", mine, name="organisations:mine"),
    Route("/invitations/{token}", invitations.accept, methods=["GET", "POST"], name="organisations:invitation"),
    Route("/organisations/{slug}", profile, name="organisations:profile"),
    Route("/organisations/{slug}/edit", edit, methods=["GET", "POST"], name="organisations:edit"),
    Route("/organisations/{slug}/members", members, name="organisations:members"),
    Route("/organisations/{slug}/members/invite", invite, methods=["POST"], name="organisations:invite"),
    Route(
        "/organisations/{slug}/members/{membership_id:id}",
        manage_member,
        methods=["POST"],
        name="organisations:manage_member",
    ),
    Route(
        "/organisations/{slug}/members/{membership_id:id}/voting",
        voting,
        methods=["POST"],
        name="organisations:voting",
    ),
    Route(
        "/organisations/{slug}/invitations/{invitation_id:id}/withdraw",
        withdraw_invitation,
        methods=["POST"],
        name="organisations:withdraw_invitation",
    ),
    Route("/organisations/{slug}/join", join, methods=["POST"], name="organisations:join"),
    Route(
        "/organisations/{slug}/requests/{request_id:id}",
        decide_request,
        methods=["POST"],
        name="organisations:decide_request",
    ),
    Route("/organisations/{slug}/verification", verification, methods=["POST"], name="organisations:verification"),
]
