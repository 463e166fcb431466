"""The members-only pages of a network: its discussion (the comment engine's thread) and its members' contacts.
A visitor is sent to log in; anyone else who is neither a coordinator nor of a member organisation is refused."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.comments.actions import MAX_DISPLAY_DEPTH, CommentInput, get_comment_view
from consult.comments.owners import ThreadContext
from consult.comments.views import location, thread_block
from consult.errors import DomainError
from consult.forms import Form, validate, values_of
from consult.i18n import _, gettext
from consult.models import Comment, Network
from consult.networks import queries, threads
from consult.networks.guards import load_network, require
from consult.networks.rules import NetworkAccess
from consult.web import flash, is_fragment_request, page_number, render, see_other

MEMBERS_PAGE_ONLY = _("The members' page is for the people of the network's member organisations and its coordinators.")


def _context(
    request: Request, network: Network, access: NetworkAccess, page: int = 1, form: Form | None = None
) -> dict:
    """The discussion page: the thread, its form offering the person's member organisations (or themselves)."""
    db = request.state.db
    ctx = threads.discussion_context(db, network, threads.thread_of(db, network), request.url_for, access)
    block = thread_block(request, ctx, page, form)
    speakers = [(i, name) for i, name in block["speakers"] if int(i) in access.member_organisation_ids]
    block["speakers"] = speakers
    if form is None:
        block["form"].values["organisation_id"] = speakers[0][0] if len(speakers) == 1 else ""
    return {"network": network, "ctx": ctx, "block": block}


async def discussion(request: Request):
    network = load_network(request)
    _user, access = require(request, network, "network.read_members", threads.MEMBERS_ONLY)
    context = _context(request, network, access, page_number(request))
    return render(request, "networks/discussion.html", context, fragment="comments/_thread.html")


async def comment(request: Request):
    values = values_of(await request.form())
    network = load_network(request)
    user, access = require(request, network, "network.post", threads.MEMBERS_ONLY)
    db = request.state.db
    form = validate(CommentInput, {**values, "organisation_id": values.get("organisation_id") or None})
    status = 422
    if form.ok:
        try:
            new = threads.post_to_discussion(db, user, network, form.data)
        except DomainError as error:
            db.rollback()
            form.add_error(error)
            status = error.status_code
        else:
            return _posted(request, network, access, new)
    context = _context(request, network, access, 1, form)
    response = render(request, "networks/discussion.html", context, fragment="comments/_form.html", status_code=status)
    if is_fragment_request(request):  # the form targets the list of comments: replace the form instead
        response.headers["HX-Retarget"] = f"#thread-{context['ctx'].scope}-form"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def _posted(request: Request, network: Network, access: NetworkAccess, new: Comment) -> Response:
    """The new comment: appended with htmx (a fresh form and the count out of band), else a redirect to it."""
    context = _context(request, network, access)
    ctx: ThreadContext = context["ctx"]
    if not is_fragment_request(request):
        flash(request, gettext("Your comment is posted."))
        return see_other(location(request, ctx, new))
    context |= {
        "view": get_comment_view(request.state.db, new.id),
        "counts": {},
        "max_depth": MAX_DISPLAY_DEPTH,
        "posted": True,
    }
    return render(request, "comments/_posted.html", context)


async def members(request: Request):
    network = load_network(request)
    require(request, network, "network.read_members", MEMBERS_PAGE_ONLY)
    db = request.state.db
    context = {
        "network": network,
        "contacts": queries.member_contacts(db, network.id),
        "coordinators": queries.coordinators_of(db, network.id),
    }
    return render(request, "networks/members.html", context)


routes = [
    Route("/networks/{slug}/discussion", discussion, name="networks:discussion"),
    Route("/networks/{slug}/discussion", comment, methods=["POST"], name="networks:comment"),
    Route("/networks/{slug}/members", members, name="networks:members"),
]
