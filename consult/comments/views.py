"""Comment pages and fragments: a thread, replies, editing with history, withdrawal, flags and moderation."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.comments import actions, flags
from consult.comments.owners import ThreadContext, resolve
from consult.forms import DomainError, Form, empty_form, parse_form, validate, values_of
from consult.i18n import gettext
from consult.models import Comment, Thread
from consult.organisations.actions import organisations_of
from consult.permissions import can
from consult.receipts.views import with_receipt_mail
from consult.web import flash, is_fragment_request, page_number, render, see_other


def speaker_options(request: Request, gate: actions.Gate) -> list[tuple[str, str]]:
    """The organisations the signed-in person may speak for here, as (id, name) choices."""
    user = request.state.user
    if user is None:
        return []
    return [
        (str(o.id), o.name)
        for o, _role in organisations_of(request.state.db, user.id)
        if (not gate.verified_only or o.verified_at is not None)
        and (gate.moderator is None or o.id != gate.moderator.id)  # the consulting municipality does not speak
    ]


def thread_block(request: Request, ctx: ThreadContext, page: int, form: Form | None = None) -> dict:
    """Everything a thread fragment shows: a page of comments with their first replies, and the form."""
    db = request.state.db
    total = actions.count_roots(db, ctx.thread.id) if ctx.thread else 0
    comment_count = actions.count_comments(db, ctx.thread.id) if ctx.thread else 0
    views = actions.thread_page(db, ctx.thread.id, page) if ctx.thread else []
    speakers = speaker_options(request, ctx.gate)
    if form is None:
        form = empty_form()
        paragraph = ctx.extra.get("paragraph")
        form.values.update(
            current_wording=paragraph.text if paragraph else "",
            organisation_id=speakers[0][0] if len(speakers) == 1 else "",
        )
    form.prefix = f"{ctx.scope}-"
    return {
        "ctx": ctx,
        "comments": views,
        "page": page,
        "total_roots": total,
        "comment_count": comment_count,
        "pages": max((total + actions.ROOTS_PER_PAGE - 1) // actions.ROOTS_PER_PAGE, 1),
        "speakers": speakers,
        "form": form,
        "max_depth": actions.MAX_DISPLAY_DEPTH,
        "replies_per_root": actions.REPLIES_PER_ROOT,
    }


def location(request: Request, ctx: ThreadContext, comment: Comment) -> str:
    root_page, replies_page = actions.locate(request.state.db, comment)
    if replies_page is not None:
        url = request.url_for("comments:replies", comment_id=comment.root_id).include_query_params(page=replies_page)
        return f"{url}#comment-{comment.id}"
    return f"{ctx.page_url}?page={root_page}#comment-{comment.id}"


def comment_response(
    request: Request,
    ctx: ThreadContext,
    new: Comment | None,
    *,
    form: Form | None = None,
    status_code: int = 422,
    counts: dict[str, int] | None = None,
) -> Response:
    """After posting: the new comment (HTMX) or a redirect to it; with errors, the form again with the text kept."""
    if new is None:
        context = {
            "ctx": ctx,
            "block": thread_block(request, ctx, 1, form),
            "consultation": ctx.owner,
            "municipality": ctx.extra.get("municipality"),
            "paragraph": ctx.extra.get("paragraph"),
        }
        response = render(
            request, "consultations/thread.html", context, fragment="comments/_form.html", status_code=status_code
        )
        if is_fragment_request(request):
            response.headers["HX-Retarget"] = f"#thread-{ctx.scope}-form"
            response.headers["HX-Reswap"] = "outerHTML"
        return response
    if not is_fragment_request(request):
        flash(request, gettext("Your comment is posted."))
        return _confirmed(request, ctx, new, see_other(location(request, ctx, new)))
    view = actions.get_comment_view(request.state.db, new.id)
    context = {
        "view": view,
        "ctx": ctx,
        "block": thread_block(request, ctx, 1),
        "counts": counts or {},
        "max_depth": actions.MAX_DISPLAY_DEPTH,
        "posted": True,
    }
    response = render(request, "comments/_posted.html", context, fragment="comments/_posted.html")
    return _confirmed(request, ctx, new, response)


def _confirmed(request: Request, ctx: ThreadContext, new: Comment, response: Response) -> Response:
    """A comment on the document (not a reply, not a proposal's discussion) is mailed to its author with its
    receipt: it is what the municipality answers in the record."""
    if new.parent_id is not None or ctx.extra.get("proposal") is not None:
        return response
    return with_receipt_mail(request, "comment", new.id, response)


def load_comment(request: Request) -> tuple[Comment, ThreadContext]:
    db = request.state.db
    comment = db.get(Comment, request.path_params["comment_id"])
    if comment is None:
        raise HTTPException(404)
    ctx = resolve(db, db.get(Thread, comment.thread_id), request.url_for)
    if ctx.may_read is not None and not ctx.may_read(request.state.user):
        raise HTTPException(401) if request.state.user is None else HTTPException(403, gettext(ctx.read_refusal))
    return comment, ctx


def _article(request: Request, comment: Comment, ctx: ThreadContext, status_code: int = 200, **extra) -> Response:
    view = actions.get_comment_view(request.state.db, comment.id)
    speakers = speaker_options(request, ctx.gate)  # the co-sign form under the comment offers them
    context = {"view": view, "ctx": ctx, "max_depth": actions.MAX_DISPLAY_DEPTH, "speakers": speakers, **extra}
    return render(request, "comments/comment.html", context, fragment="comments/_article.html", status_code=status_code)


def _done(request: Request, comment: Comment, ctx: ThreadContext, message: str) -> Response:
    if is_fragment_request(request):
        return _article(request, comment, ctx, notice=message)
    flash(request, message)
    return see_other(location(request, ctx, comment))


def _refused(error: DomainError) -> HTTPException:
    return HTTPException(error.status_code, error.translated())


async def reply(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else {}
    parent, ctx = load_comment(request)
    db = request.state.db
    speakers = speaker_options(request, ctx.gate)
    form: Form = empty_form()
    status = 200
    if request.method == "POST":
        form = validate(actions.CommentInput, {**values, "organisation_id": values.get("organisation_id") or None})
        status = 422
        if form.ok:
            try:
                new = actions.submit_comment(db, request.state.user, parent.thread_id, ctx.gate, form.data, parent)
            except DomainError as error:
                db.rollback()
                form.add_error(error)
                status = error.status_code
            else:
                if not is_fragment_request(request):
                    flash(request, gettext("Your reply is posted."))
                    return see_other(location(request, ctx, new))
                view = actions.get_comment_view(db, new.id)
                return render(
                    request,
                    "comments/_reply_posted.html",
                    {
                        "view": view,
                        "parent": parent,
                        "ctx": ctx,
                        "max_depth": actions.MAX_DISPLAY_DEPTH,
                        "speakers": speakers,
                    },
                )
    elif len(speakers) == 1:
        form.values["organisation_id"] = speakers[0][0]
    form.prefix = f"reply-{parent.id}-"  # ids unique when several reply and edit forms are open on one page
    context = {
        "parent": actions.get_comment_view(db, parent.id),
        "ctx": ctx,
        "form": form,
        "speakers": speakers,
        "max_depth": actions.MAX_DISPLAY_DEPTH,
    }
    response = render(request, "comments/reply.html", context, fragment="comments/_reply_form.html", status_code=status)
    if status != 200 and is_fragment_request(request):  # the form targets the replies list: replace the form instead
        response.headers["HX-Retarget"] = f"#comment-{parent.id}-reply-form"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


async def edit(request: Request):
    posted = await parse_form(request, actions.CommentInput) if request.method == "POST" else None
    comment, ctx = load_comment(request)
    if not can(request.state.user, "comment.change", comment):  # before the form: its errors are the author's
        raise HTTPException(403, gettext("Only the author can change this comment."))
    db = request.state.db
    form: Form = posted or Form(
        None,
        {
            "body": comment.body,
            "current_wording": comment.current_wording,
            "proposed_wording": comment.proposed_wording,
            "justification": comment.justification,
        },
    )
    status = 200
    if posted is not None:
        status = 422
        if posted.ok:
            data = posted.data.model_copy(update={"organisation_id": comment.organisation_id})
            try:
                actions.edit_comment(db, request.state.user, comment, ctx.gate, data)
            except DomainError as error:
                db.rollback()
                form.add_error(error)
                status = error.status_code
            else:
                return _done(request, comment, ctx, gettext("Your changes are saved."))
    form.prefix = f"edit-{comment.id}-"
    context = {
        "view": actions.get_comment_view(db, comment.id),
        "ctx": ctx,
        "form": form,
        "max_depth": actions.MAX_DISPLAY_DEPTH,
    }
    return render(request, "comments/edit.html", context, fragment="comments/_edit_form.html", status_code=status)


async def withdraw(request: Request):
    comment, ctx = load_comment(request)
    try:
        actions.withdraw_comment(request.state.db, request.state.user, comment, ctx.gate)
    except DomainError as error:
        raise _refused(error) from error
    return _done(request, comment, ctx, gettext("Your comment is withdrawn."))


async def flag(request: Request):
    """Reporting a comment: a form asking why (in place of the comment with htmx, a page without), then the flag.
    Whoever may not flag it (their own, already flagged, closed) is told why instead of being shown the form."""
    posted = await parse_form(request, flags.FlagInput) if request.method == "POST" else None
    comment, ctx = load_comment(request)
    db, user = request.state.db, request.state.user
    if posted is None and user is None:
        raise HTTPException(401)  # the log-in page, which comes back here
    form: Form = posted or empty_form()
    refusal = flags.flag_refusal(db, user, comment, ctx.gate)
    status = 200 if posted is None else 422
    if posted is not None and refusal is None and posted.ok:
        try:
            flags.flag_comment(db, user, comment, ctx.gate, posted.data)
        except DomainError as error:  # no reason given: beside its field, the typed words kept
            db.rollback()
            form.add_error(error)
            status = error.status_code
        else:
            return _done(request, comment, ctx, gettext("Thank you. The moderators will look at this comment."))
    if refusal is not None:
        status = refusal.status_code if posted is not None else 200
        if is_fragment_request(request):
            return _article(request, comment, ctx, status_code=status, notice=refusal.translated())
    form.prefix = f"flag-{comment.id}-"
    context = {
        "view": actions.get_comment_view(db, comment.id),
        "ctx": ctx,
        "form": form,
        "refusal": refusal.translated() if refusal else "",
        "reasons": [(key, gettext(label)) for key, label in flags.FLAG_REASONS.items()],
        "max_depth": actions.MAX_DISPLAY_DEPTH,
    }
    return render(request, "comments/flag.html", context, fragment="comments/_flag_form.html", status_code=status)


async def hide(request: Request):
    form = await parse_form(request, actions.ModerationInput) if request.method == "POST" else empty_form()
    comment, ctx = load_comment(request)
    if not _may_moderate(request, ctx):  # before the form's errors: a 422 would show the form to anyone
        message = gettext("Only the municipality's officials and the platform's admins moderate comments.")
        raise HTTPException(403, message)
    db = request.state.db
    status = 200
    if request.method == "POST":
        status = 422
        if form.ok:
            try:
                actions.hide_comment(db, request.state.user, comment, ctx.gate, form.data)
            except DomainError as error:
                raise _refused(error) from error
            return _done(request, comment, ctx, gettext("The comment is hidden. The reason is shown in its place."))
    form.prefix = f"hide-{comment.id}-"
    context = {
        "view": actions.get_comment_view(db, comment.id),
        "ctx": ctx,
        "form": form,
        "max_depth": actions.MAX_DISPLAY_DEPTH,
    }
    return render(request, "comments/hide.html", context, fragment="comments/_hide_form.html", status_code=status)


def _may_moderate(request: Request, ctx: ThreadContext) -> bool:
    return ctx.gate.moderator is not None and can(request.state.user, "comment.moderate", ctx.gate.moderator)


async def restore(request: Request):
    comment, ctx = load_comment(request)
    try:
        actions.restore_comment(request.state.db, request.state.user, comment, ctx.gate)
    except DomainError as error:
        raise _refused(error) from error
    return _done(request, comment, ctx, gettext("The comment is restored."))


async def history(request: Request):
    comment, ctx = load_comment(request)
    db = request.state.db
    if comment.status != "visible":  # hidden or withdrawn: its earlier versions are not shown either
        raise HTTPException(404)
    context = {
        "view": actions.get_comment_view(db, comment.id),
        "ctx": ctx,
        "revisions": actions.revisions_of(db, comment),
        "max_depth": actions.MAX_DISPLAY_DEPTH,
    }
    return render(request, "comments/history.html", context)


async def replies(request: Request):
    """All replies under a root comment, a page at a time (the "more replies" link)."""
    root, ctx = load_comment(request)
    page = page_number(request)
    db = request.state.db
    views = actions.replies_page(db, root, page)
    total = root.reply_count
    context = {
        "root": actions.get_comment_view(db, root.id),
        "ctx": ctx,
        "replies": views,
        "page": page,
        "pages": max((total + actions.REPLIES_PER_PAGE - 1) // actions.REPLIES_PER_PAGE, 1),
        "max_depth": actions.MAX_DISPLAY_DEPTH,
        "speakers": speaker_options(request, ctx.gate),  # who may reply, and for whom
    }
    return render(request, "comments/replies.html", context, fragment="comments/_replies.html")


routes = [
    Route("/comments/{comment_id:id}/reply", reply, methods=["GET", "POST"], name="comments:reply"),
    Route("/comments/{comment_id:id}/edit", edit, methods=["GET", "POST"], name="comments:edit"),
    Route("/comments/{comment_id:id}/withdraw", withdraw, methods=["POST"], name="comments:withdraw"),
    Route("/comments/{comment_id:id}/flag", flag, methods=["GET", "POST"], name="comments:flag"),
    Route("/comments/{comment_id:id}/hide", hide, methods=["GET", "POST"], name="comments:hide"),
    Route("/comments/{comment_id:id}/restore", restore, methods=["POST"], name="comments:restore"),
    Route("/comments/{comment_id:id}/history", history, name="comments:history"),
    Route("/comments/{comment_id:id}/replies", replies, name="comments:replies"),
]
