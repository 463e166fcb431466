"""A working group's discussion and documents: the road map's page with its paragraphs, each paragraph's thread,
posting in them (members and the coordinator), and the coordinator writing a document or a new version of it."""

from __future__ import annotations

from dataclasses import replace

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.comments import actions as comments
from consult.comments.owners import ThreadContext
from consult.comments.views import location, thread_block
from consult.consultations.actions import import_notes_of
from consult.consultations.document import DocumentError, ParsedDocument, parse_docx
from consult.consultations.versions import serialise_view
from consult.forms import DomainError, Form, empty_form, validate, values_of
from consult.groups import documents, queries, threads
from consult.groups.documents import GROUP_THREAD, PARAGRAPH_THREAD
from consult.groups.rules import GroupAccess
from consult.i18n import _, gettext
from consult.models import DocumentVersion, GroupDocument, User
from consult.permissions import can
from consult.web import flash, is_fragment_request, page_number, render, see_other

MAX_DOCX_BYTES = 5 * 1024 * 1024


def _load(request: Request) -> GroupAccess:
    access = queries.get_group(request.state.db, request.path_params["slug"])
    if access is None:
        raise HTTPException(404)
    return access


def _load_document(request: Request, access: GroupAccess) -> GroupDocument:
    document = documents.get_document(request.state.db, access.group, request.path_params["document_id"])
    if document is None:
        raise HTTPException(404)
    return document


def group_block(request: Request, access: GroupAccess, ctx: ThreadContext, page: int, form: Form | None = None):
    """The comment engine's thread block, offering only the member organisations the reader may speak for."""
    ctx = threads.for_reader(ctx, access, request.state.user)
    block = thread_block(request, ctx, page, form)
    block["speakers"] = [(v, name) for v, name in block["speakers"] if int(v) in access.member_organisations]
    if block["form"].values.get("organisation_id") not in {v for v, _n in block["speakers"]}:
        block["form"].values["organisation_id"] = ""
    return block


def discussion_block(request: Request, access: GroupAccess, page: int, form: Form | None = None) -> dict:
    thread = documents.thread_of(request.state.db, GROUP_THREAD, str(access.group.id))
    return group_block(request, access, threads.discussion_context(access, thread, request.url_for), page, form)


def _thread_page(request: Request, access: GroupAccess, block: dict, status_code: int = 200, **extra) -> Response:
    context = {"access": access, "group": access.group, "block": block, "ctx": block["ctx"], "paragraph": None}
    context |= {"document": None, **extra}
    return render(request, "groups/thread.html", context, fragment="comments/_thread.html", status_code=status_code)


async def discussion(request: Request):
    access = _load(request)
    return _thread_page(request, access, discussion_block(request, access, page_number(request)))


def _paragraph_ctx(request: Request, access: GroupAccess, document: GroupDocument, key: str) -> ThreadContext:
    db = request.state.db
    paragraph = documents.paragraph_of(db, document, key)
    thread = documents.thread_of(db, PARAGRAPH_THREAD, documents.paragraph_owner(document, key))
    if paragraph is None and thread is None:
        raise HTTPException(404)
    return threads.paragraph_context(access, document, key, paragraph, thread, request.url_for)


async def paragraph(request: Request):
    """A paragraph's thread: the fragment under the paragraph with JavaScript, a page of its own without."""
    access = _load(request)
    document = _load_document(request, access)
    ctx = _paragraph_ctx(request, access, document, request.path_params["paragraph"])
    block = group_block(request, access, ctx, page_number(request))
    return _thread_page(request, access, block, paragraph=ctx.extra["paragraph"], document=document)


# --- posting ----------------------------------------------------------------------------------


def _posted(request: Request, access: GroupAccess, ctx: ThreadContext, new, counts: dict[str, int]) -> Response:
    """The new comment (htmx) or a redirect to it; no receipt: a group's comment is no consultation's contribution."""
    if not is_fragment_request(request):
        flash(request, gettext("Your comment is posted."))
        return see_other(location(request, ctx, new))
    context = {
        "view": comments.get_comment_view(request.state.db, new.id),
        "ctx": ctx,
        "block": group_block(request, access, ctx, 1),
        "counts": counts,
        "max_depth": comments.MAX_DISPLAY_DEPTH,
        "posted": True,
    }
    return render(request, "comments/_posted.html", context)


def _refused(request: Request, access: GroupAccess, ctx: ThreadContext, form: Form, status: int, **extra) -> Response:
    """The form again, with the error and the typed text: in place with htmx, on the thread's page without."""
    block = group_block(request, access, ctx, 1, form)
    if not is_fragment_request(request):
        return _thread_page(request, access, block, status_code=status, **extra)
    response = render(request, "comments/_form.html", {"block": block}, status_code=status)
    response.headers["HX-Retarget"] = f"#thread-{ctx.scope}-form"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def _submit(request: Request, access: GroupAccess, ctx: ThreadContext, kind: str, owner: str, form: Form):
    """Post through the comment engine, creating the thread on its first comment; (comment, None) or (None, status)."""
    db, user = request.state.db, request.state.user
    if not can(user, "group.post", access):  # before the form's own errors: the door first
        message = threads.MEMBERS_ONLY if user else _("Log in to take part.")
        form.add_error(DomainError("", message, 403))
        return None, 403
    if not form.ok:
        return None, 422
    try:
        thread = documents.get_or_create_thread(db, kind, owner)
        new = comments.submit_comment(db, user, thread.id, ctx.gate, form.data)
    except DomainError as error:
        db.rollback()
        form.add_error(error)
        return None, error.status_code
    return new, 200


def _comment_form(values: dict) -> Form:
    return validate(comments.CommentInput, {**values, "organisation_id": values.get("organisation_id") or None})


async def comment(request: Request):
    """A comment in the group's discussion."""
    values = values_of(await request.form())
    values.pop("paragraph", None)
    access = _load(request)
    form = _comment_form(values)
    ctx = threads.discussion_context(access, None, request.url_for)
    new, status = _submit(request, access, ctx, GROUP_THREAD, str(access.group.id), form)
    thread = documents.thread_of(request.state.db, GROUP_THREAD, str(access.group.id))
    ctx = replace(ctx, thread=thread)
    if new is None:
        return _refused(request, access, ctx, form, status)
    return _posted(request, access, ctx, new, {})


async def document_comment(request: Request):
    """A comment on one paragraph of a group document (field `paragraph`: its key)."""
    values = values_of(await request.form())
    key = str(values.pop("paragraph", ""))
    access = _load(request)
    document = _load_document(request, access)
    db = request.state.db
    paragraph = documents.paragraph_of(db, document, key) if key else None
    if paragraph is None:
        if not can(request.state.user, "group.post", access):
            raise HTTPException(403, gettext(threads.MEMBERS_ONLY))
        raise HTTPException(404)
    owner = documents.paragraph_owner(document, key)
    ctx = threads.paragraph_context(access, document, key, paragraph, None, request.url_for)
    form = _comment_form(values)
    new, status = _submit(request, access, ctx, PARAGRAPH_THREAD, owner, form)
    ctx = replace(ctx, thread=documents.thread_of(db, PARAGRAPH_THREAD, owner))
    if new is None:
        return _refused(request, access, ctx, form, status, paragraph=paragraph, document=document)
    return _posted(request, access, ctx, new, documents.comment_counts(db, document))


# --- documents ------------------------------------------------------------------------------


async def document(request: Request):
    access = _load(request)
    doc = _load_document(request, access)
    db = request.state.db
    view = documents.view_of(db, doc)
    if view is None:
        raise HTTPException(404)
    coordinator = can(request.state.user, "group.document", access)
    context = {
        "access": access,
        "group": access.group,
        "doc": doc,
        "document": view,
        "counts": documents.comment_counts(db, doc),
        "paragraph_url": f"{request.url_for('groups:document', slug=access.group.slug, document_id=doc.id)}/p/",
        "author": db.get(User, view.version.created_by_id) if view.version.created_by_id else None,
        "can_write": coordinator,
        "import_notes": import_notes_of(view.version) if coordinator else [],
    }
    return render(request, "groups/document.html", context)


async def _read_document_form(request: Request, model) -> tuple[Form, ParsedDocument | None, str]:
    """The form, and the Word file read in a thread (or None: the pasted text is read by the action)."""
    data = await request.form()
    upload = data.get("docx")
    values = {k: v for k, v in values_of(data).items() if k != "docx"}
    form = validate(model, values)
    if upload is None or not getattr(upload, "filename", ""):
        return form, None, "markdown"
    content = await upload.read(MAX_DOCX_BYTES + 1)
    if len(content) > MAX_DOCX_BYTES:
        form.errors["docx"] = gettext("The file is larger than 5 MB.")
    elif not upload.filename.lower().endswith(".docx"):
        form.errors["docx"] = gettext("Upload a Word document in .docx format.")
    else:
        try:
            return form, await run_in_threadpool(parse_docx, content), "docx"
        except DocumentError as exc:
            form.errors["docx"] = gettext(str(exc))
    return form, None, "docx"


def _require_writer(request: Request, access: GroupAccess) -> None:
    if request.state.user is None:
        raise HTTPException(401)
    if not can(request.state.user, "group.document", access):
        raise HTTPException(403, gettext("Only the group's coordinator writes its documents."))


async def document_create(request: Request):
    access = _load(request)
    _require_writer(request, access)
    request.state.db.commit()  # no read transaction stays open while an upload is read
    form: Form = empty_form()
    status = 200
    if request.method == "POST":
        form, parsed, source = await _read_document_form(request, documents.DocumentInput)
        status = 422
        if form.ok:
            try:
                doc = documents.create_document(request.state.db, request.state.user, access, form.data, parsed, source)
            except DomainError as error:
                request.state.db.rollback()
                form.add_error(error)
                status = error.status_code
            else:
                flash(request, gettext("The document is published. Members can comment on each paragraph."))
                return see_other(request.url_for("groups:document", slug=access.group.slug, document_id=doc.id))
    context = {"access": access, "group": access.group, "form": form, "doc": None}
    return render(request, "groups/document_form.html", context, status_code=status)


async def document_revise(request: Request):
    access = _load(request)
    _require_writer(request, access)
    doc = _load_document(request, access)
    db = request.state.db
    form: Form = empty_form()
    status = 200
    if request.method == "POST":
        db.commit()
        form, parsed, source = await _read_document_form(request, documents.RevisionInput)
        status = 422
        if form.ok:
            try:
                version = documents.revise_document(db, request.state.user, access, doc, form.data, parsed, source)
            except DomainError as error:
                db.rollback()
                form.add_error(error)
                status = error.status_code
            else:
                flash(request, gettext("Version %(number)s is published.", number=version.number))
                return see_other(request.url_for("groups:document", slug=access.group.slug, document_id=doc.id))
    else:
        view = documents.view_of(db, doc)
        if view is not None:
            form.values["document"] = serialise_view(view)
    version = db.get(DocumentVersion, doc.version_id) if doc.version_id else None
    context = {"access": access, "group": access.group, "form": form, "doc": doc, "version": version}
    return render(request, "groups/document_form.html", context, status_code=status)


DOCUMENT = "/groups/{slug}/documents/{document_id:id}"
routes = [
    Route("/groups/{slug}/discussion", discussion, name="groups:discussion"),
    Route("/groups/{slug}/comments", comment, methods=["POST"], name="groups:comment"),
    Route("/groups/{slug}/documents/new", document_create, methods=["GET", "POST"], name="groups:document_create"),
    Route(DOCUMENT, document, name="groups:document"),
    Route(DOCUMENT + "/p/{paragraph}", paragraph, name="groups:paragraph"),
    Route(DOCUMENT + "/comments", document_comment, methods=["POST"], name="groups:document_comment"),
    Route(DOCUMENT + "/revise", document_revise, methods=["GET", "POST"], name="groups:document_revise"),
]
