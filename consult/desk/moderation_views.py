"""The moderation queue, `/desk/moderation`: every flagged comment with its flags, hidden with a public reason or kept
(its flags dismissed) in place with htmx, or by a post and a 303 back to the queue."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.comments.actions import ModerationInput, hide_comment
from consult.comments.flags import keep_comment
from consult.comments.owners import ThreadContext
from consult.comments.views import load_comment
from consult.desk import moderation
from consult.forms import DomainError, Form, empty_form, validate, values_of
from consult.i18n import _, gettext
from consult.models import Comment
from consult.organisations.views import require_user
from consult.permissions import Principal, can
from consult.web import flash, is_fragment_request, render, see_other

NOT_A_MODERATOR = _("The moderation queue is for the officials of a municipality and the platform's admins.")


def _form(comment_id: int, form: Form | None = None) -> Form:
    form = form or empty_form()
    form.prefix = f"hide-{comment_id}-"  # ids unique: every item of the queue has its form
    return form


def _page(request: Request, user: Principal, failed: dict[int, Form] | None = None, status: int = 200) -> Response:
    db = request.state.db
    items = moderation.queue(db, user, request.url_for)
    context = {
        "items": items,
        "forms": {item.id: _form(item.id, (failed or {}).get(item.id)) for item in items},
        "open_flags": moderation.count_open_flags(db, user),
        "size": moderation.QUEUE_SIZE,
    }
    return render(request, "desk/moderation.html", context, status_code=status)


async def queue_page(request: Request):
    user = require_user(request)
    if not moderation.may_moderate_any(request.state.db, user):
        raise HTTPException(403, gettext(NOT_A_MODERATOR))
    return _page(request, user)


def _moderated(request: Request) -> tuple[Principal, Comment, ThreadContext]:
    """The moderator and the flagged comment; 403 before any form error for anyone who may not moderate it."""
    user = require_user(request)
    comment, ctx = load_comment(request)
    if ctx.gate.moderator is None or not can(user, "comment.moderate", ctx.gate.moderator):
        raise HTTPException(
            403, gettext("Only the municipality's officials and the platform's admins moderate comments.")
        )
    return user, comment, ctx


def _done(request: Request, user: Principal, comment: Comment, message: str) -> Response:
    """The item gives way to a notice and the count goes down (htmx), or back to the queue with the notice."""
    if not is_fragment_request(request):
        flash(request, message)
        return see_other(str(request.url_for("desk:moderation")))
    context = {
        "comment_id": comment.id,
        "message": message,
        "open_flags": moderation.count_open_flags(request.state.db, user),
    }
    return render(request, "desk/_moderation_done.html", context)


def _again(request: Request, user: Principal, comment: Comment, form: Form, status: int) -> Response:
    """The item again with the error beside the reason and the typed text kept (htmx), or the whole queue so."""
    if not is_fragment_request(request):
        return _page(request, user, {comment.id: form}, status)
    items = moderation.queue(request.state.db, user, request.url_for, only=comment.id)
    if not items:  # another moderator acted on it meanwhile: say so in its place
        message = next(iter(form.errors.values()), "")
        context = {
            "comment_id": comment.id,
            "message": message,
            "open_flags": moderation.count_open_flags(request.state.db, user),
        }
        return render(request, "desk/_moderation_done.html", context, status_code=status)
    context = {"item": items[0], "forms": {comment.id: _form(comment.id, form)}}
    return render(request, "desk/_moderation_item.html", context, status_code=status)


async def hide(request: Request):
    values = values_of(await request.form())
    user, comment, ctx = _moderated(request)
    db = request.state.db
    form: Form = validate(ModerationInput, values)
    status = 422
    if form.ok:
        try:
            hide_comment(db, user, comment, ctx.gate, form.data)
        except DomainError as error:
            db.rollback()
            form.add_error(error)
            status = error.status_code
        else:
            return _done(request, user, comment, gettext("The comment is hidden. The reason is shown in its place."))
    return _again(request, user, comment, form, status)


async def keep(request: Request):
    user, comment, ctx = _moderated(request)
    db = request.state.db
    try:
        keep_comment(db, user, comment, ctx.gate)
    except DomainError as error:
        db.rollback()
        form = _form(comment.id)
        form.add_error(error)
        return _again(request, user, comment, form, error.status_code)
    return _done(request, user, comment, gettext("The comment stays as it is. Its flags are dismissed."))


QUEUED = "/desk/moderation/comments/{comment_id:id}"
routes = [
    Route("/desk/moderation", queue_page, name="desk:moderation"),
    Route(QUEUED + "/hide", hide, methods=["POST"], name="desk:moderation_hide"),
    Route(QUEUED + "/keep", keep, methods=["POST"], name="desk:moderation_keep"),
]
