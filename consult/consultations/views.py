"""Consultation pages: the list, creating and publishing a draft, the document with its threads, the public API."""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from consult.comments import actions as comments
from consult.comments.views import comment_response, thread_block
from consult.commitments.queries import consultation_context as commitments_context
from consult.consultations import actions, uploads
from consult.consultations.changes import changes_of
from consult.consultations.document import DocumentError, ParsedDocument, parse_docx, parse_text
from consult.consultations.threads import thread_context
from consult.forms import DomainError, Form, empty_form, validate, values_of
from consult.i18n import gettext
from consult.models import PARTICIPATION, Consultation, Organisation
from consult.opinions.actions import opinion_status
from consult.organisations.actions import organisations_of
from consult.organisations.views import require_user
from consult.pagecache import cached_for_readers
from consult.permissions import can
from consult.proposals.actions import count_proposals
from consult.proposals.offer import proposal_offer
from consult.records.actions import get_record, record_hashes
from consult.web import flash, page_number, render, see_other

MAX_DOCX_BYTES = 5 * 1024 * 1024


def load_consultation(request: Request) -> tuple[Consultation, Organisation]:
    """The consultation of the path, or 404 (a draft is shown only to its municipality's officials)."""
    found = actions.get_consultation(request.state.db, request.path_params["slug"])
    if found is None or not actions.can_see(request.state.user, *found):
        raise HTTPException(404)
    return found


async def list_page(request: Request):
    params = request.query_params
    f = actions.ListFilter(
        status=params.get("status", ""),
        municipality=params.get("municipality", ""),
        q=params.get("q", "").strip(),
        page=page_number(request),
    )
    rows, total = actions.list_consultations(request.state.db, f)
    context = {
        "rows": rows,
        "total": total,
        "filter": f,
        "page_size": actions.PAGE_SIZE,
        "municipalities": actions.municipalities(request.state.db),
        "status_of": actions.shown_status,
        "records": record_hashes(request.state.db, [c.id for c, _m in rows]),
    }
    return render(request, "consultations/list.html", context, fragment="consultations/_results.html")


def _managed_municipalities(request: Request) -> list[Organisation]:
    user = request.state.user
    return [o for o, _role in organisations_of(request.state.db, user.id) if can(user, "consultation.manage", o)]


@dataclass
class Posted:
    """The consultation form as sent: validated, its document read, and the Word file it carried (kept or new)."""

    form: Form
    parsed: ParsedDocument | None
    source: str
    docx: bytes | None = None
    filename: str = ""
    token: str = ""  # of the Word file kept from an earlier try


async def _read_consultation_form(request: Request) -> Posted:
    """The form, the document read from the upload (new, or kept from a failed try) or else from the pasted text (in
    a thread), and its source."""
    form_data = await request.form()
    values = values_of(form_data)
    upload = form_data.get("docx")
    values.pop("docx", None)
    token = str(values.pop("upload_token", ""))
    values.pop("upload_name", None)
    posted = Posted(validate(actions.ConsultationInput, values), None, "markdown")
    form = posted.form
    if upload is not None and getattr(upload, "filename", ""):
        data = await upload.read(MAX_DOCX_BYTES + 1)
        if len(data) > MAX_DOCX_BYTES:
            form.errors["docx"] = gettext("The file is larger than 5 MB.")
        elif not upload.filename.lower().endswith(".docx"):
            form.errors["docx"] = gettext("Upload a Word document in .docx format.")
        else:
            posted.docx, posted.filename = data, upload.filename
    elif token and not values.get("drop_upload"):
        kept = uploads.kept_upload(request.state.db, request.state.user.id, token)
        request.state.db.commit()  # no read transaction stays open while the file is read
        if kept is not None:
            posted.docx, posted.filename, posted.token = kept.content, kept.filename, token
    if posted.docx is not None:
        posted.parsed, posted.source = await _parsed(form, "docx", parse_docx, posted.docx), "docx"
    elif form.data is not None and form.data.document.strip():
        posted.parsed = await _parsed(form, "document", parse_text, form.data.document)
    return posted


def _keep_file(request: Request, posted: Posted) -> None:
    """After a failed try: keep a readable Word file, and put its token and name on the form sent back."""
    if posted.parsed is None or posted.docx is None:
        return
    if not posted.token:
        posted.token = uploads.keep_upload(request.state.db, request.state.user.id, posted.filename, posted.docx)
    posted.form.values.update(upload_token=posted.token, upload_name=posted.filename)


def _forget_file(request: Request, posted: Posted) -> None:
    if posted.token:
        uploads.drop_upload(request.state.db, request.state.user.id, posted.token)
        request.state.db.commit()


async def _parsed(form: Form, field: str, parse, source) -> ParsedDocument | None:
    """The document parsed off the event loop; a refusal goes beside its field."""
    try:
        return await run_in_threadpool(parse, source)
    except DocumentError as exc:
        form.errors[field] = gettext(str(exc))
        return None


async def create(request: Request):
    user = require_user(request)
    managed = _managed_municipalities(request)  # before reading an upload: nobody else's file is converted
    if not managed:
        raise HTTPException(403, gettext("Only officials of a municipality create consultations."))
    request.state.db.commit()  # no read transaction stays open while the upload is read
    posted = (await _read_consultation_form(request)) if request.method == "POST" else Posted(empty_form(), None, "")
    form = posted.form
    if request.method == "POST" and form.ok:
        try:
            consultation = actions.create_consultation(request.state.db, user, form.data, posted.parsed, posted.source)
        except DomainError as error:
            request.state.db.rollback()
            if error.status_code == 403:
                raise HTTPException(403, error.translated()) from error
            form.add_error(error)
        else:
            _forget_file(request, posted)
            flash(request, gettext("The draft is saved. Check it below, then publish it."))
            return see_other(request.url_for("consultations:detail", slug=consultation.slug))
    if request.method == "POST":
        _keep_file(request, posted)
    if not form.values:
        form.values.update(participation="verified_organisations", organisation_id=str(managed[0].id))
    chosen = next((m for m in managed if str(m.id) == str(form.values.get("organisation_id"))), managed[0])
    context = {"form": form, "municipalities": managed, "participation": PARTICIPATION, "consultation": None}
    context["min_days"] = chosen.min_consultation_days
    return render(request, "consultations/form.html", context, status_code=422 if form.errors else 200)


def _local_input(value, zone: str) -> str:
    """A stored UTC time as a datetime-local field shows it, in the municipality's zone."""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


async def edit_draft(request: Request):
    """Change a draft (its details, dates or document) before it is published."""
    consultation, municipality = load_consultation(request)
    user = require_user(request)
    if not can(user, "consultation.manage", municipality):
        raise HTTPException(403)
    if consultation.published_at is not None:
        raise HTTPException(409, gettext("A published consultation can no longer be changed as a draft."))
    request.state.db.commit()  # no read transaction stays open while the upload is read
    if request.method == "POST":
        posted = await _read_consultation_form(request)
        form = posted.form
        form.values["organisation_id"] = str(municipality.id)
        if form.ok:
            data = form.data.model_copy(update={"organisation_id": municipality.id})
            try:
                actions.update_draft(request.state.db, user, consultation, data, posted.parsed, posted.source)
            except DomainError as error:
                request.state.db.rollback()
                form.add_error(error)
            else:
                _forget_file(request, posted)
                flash(request, gettext("The draft is saved. Check it below, then publish it."))
                return see_other(request.url_for("consultations:detail", slug=consultation.slug))
        _keep_file(request, posted)
    else:
        zone = request.app.state.settings.time_zone
        form = Form(None, {name: getattr(consultation, name) for name in actions.DRAFT_FIELDS})
        form.values.update(
            organisation_id=str(municipality.id),
            slug=consultation.slug,
            short_window_reason=consultation.short_window_reason,
            opens_at=_local_input(consultation.opens_at, zone),
            closes_at=_local_input(consultation.closes_at, zone),
        )
    context = {
        "form": form,
        "municipalities": [municipality],
        "participation": PARTICIPATION,
        "consultation": consultation,
        "min_days": municipality.min_consultation_days,
    }
    return render(request, "consultations/form.html", context, status_code=422 if form.errors else 200)


async def detail(request: Request):
    consultation, municipality = load_consultation(request)
    db, user = request.state.db, request.state.user
    version = actions.current_version(db, consultation)
    threads = actions.threads_of(db, consultation)
    ctx = thread_context(db, consultation, municipality, threads.get(""), None, request.url_for)
    can_manage = can(user, "consultation.manage", municipality)
    context = {
        "consultation": consultation,
        "municipality": municipality,
        "status": actions.shown_status(consultation),
        "changes": changes_of(db, consultation),
        "document": actions.document_of(db, version),
        "counts": actions.comment_counts(db, consultation),
        "can_manage": can_manage,
        "general": thread_block(request, ctx, 1),
        "opinion": opinion_status(db, consultation, municipality),
        "proposal_count": count_proposals(db, consultation),
        "offer": proposal_offer(request, consultation, municipality),
        "record": get_record(db, consultation),
        # What the importer could not structure, for the officials checking a draft before they publish it
        "import_notes": actions.import_notes_of(version) if can_manage and consultation.published_at is None else [],
    }
    # Commitments: this consultation's after its record; the previous one's beside the paragraphs, for officials.
    context |= commitments_context(
        db, consultation, context["document"], record=context["record"], officials=can_manage
    )
    return render(request, "consultations/detail.html", context)


def _paragraph_context(request: Request):
    consultation, municipality = load_consultation(request)
    db = request.state.db
    version = actions.current_version(db, consultation)
    paragraph = actions.get_paragraph(db, version, request.path_params["key"])
    if paragraph is None:
        raise HTTPException(404)
    thread = actions.threads_of(db, consultation).get(paragraph.key)
    return thread_context(db, consultation, municipality, thread, paragraph, request.url_for)


async def paragraph(request: Request):
    """A paragraph's thread: the fragment under the paragraph with JavaScript, a page of its own without."""
    ctx = _paragraph_context(request)
    context = {
        "ctx": ctx,
        "consultation": ctx.owner,
        "municipality": ctx.extra["municipality"],
        "paragraph": ctx.extra["paragraph"],
        "block": thread_block(request, ctx, page_number(request)),
    }
    return render(request, "consultations/thread.html", context, fragment="comments/_thread.html")


async def discussion(request: Request):
    consultation, municipality = load_consultation(request)
    db = request.state.db
    ctx = thread_context(
        db, consultation, municipality, actions.threads_of(db, consultation).get(""), None, request.url_for
    )
    context = {
        "ctx": ctx,
        "consultation": consultation,
        "municipality": municipality,
        "paragraph": None,
        "block": thread_block(request, ctx, page_number(request)),
    }
    return render(request, "consultations/thread.html", context, fragment="comments/_thread.html")


async def comment(request: Request):
    """A new comment on the whole document or on one paragraph (field `paragraph`)."""
    values = values_of(await request.form())
    consultation, municipality = load_consultation(request)
    db = request.state.db
    paragraph = None
    if key := values.pop("paragraph", ""):
        paragraph = actions.get_paragraph(db, actions.current_version(db, consultation), key)
        if paragraph is None:
            raise HTTPException(404)
    thread = actions.threads_of(db, consultation).get(paragraph.key if paragraph else "")
    ctx = thread_context(db, consultation, municipality, thread, paragraph, request.url_for)
    form = validate(comments.CommentInput, {**values, "organisation_id": values.get("organisation_id") or None})
    status = 422
    if form.ok:
        try:
            if ctx.thread is None:
                actions.get_or_create_thread(db, consultation, paragraph.key if paragraph else None)
                ctx = thread_context(
                    db,
                    consultation,
                    municipality,
                    actions.threads_of(db, consultation).get(paragraph.key if paragraph else ""),
                    paragraph,
                    request.url_for,
                )
            new = comments.submit_comment(db, request.state.user, ctx.thread.id, ctx.gate, form.data)
        except DomainError as error:
            db.rollback()  # takes back a thread created just now: show the form on the thread as it stands
            ctx = replace(ctx, thread=actions.threads_of(db, consultation).get(paragraph.key if paragraph else ""))
            form.add_error(error)
            status = error.status_code
        else:
            return comment_response(request, ctx, new, counts=actions.comment_counts(db, consultation))
    return comment_response(request, ctx, None, form=form, status_code=status)


def _iso(value) -> str:
    return value.isoformat()


def _api_item(
    request: Request, consultation: Consultation, municipality: Organisation, record_sha256: str | None
) -> dict:
    item = {
        "slug": consultation.slug,
        "title": consultation.title,
        "municipality": municipality.name,
        "status": actions.status_of(consultation),
        "opens_at": _iso(consultation.opens_at),
        "closes_at": _iso(consultation.closes_at),
        "url": str(request.url_for("consultations:detail", slug=consultation.slug)),
    }
    if consultation.cancelled_at is not None:  # status stays "closed": the contract's three values, plus these
        item["cancelled_at"] = _iso(consultation.cancelled_at)
        item["cancel_reason"] = consultation.cancel_reason
    if record_sha256:
        item["record_url"] = str(request.url_for("records:record", slug=consultation.slug))
        item["record_sha256"] = record_sha256
    return item


async def api_list(request: Request):
    db = request.state.db
    rows, _total = actions.list_consultations(db, actions.ListFilter(), page_size=None)
    hashes = record_hashes(db, [c.id for c, _m in rows])
    return JSONResponse([_api_item(request, c, m, hashes.get(c.id)) for c, m in rows])


async def api_detail(request: Request):
    found = actions.get_consultation(request.state.db, request.path_params["slug"])
    if found is None or found[0].published_at is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    consultation, municipality = found
    db = request.state.db
    document = actions.document_of(db, actions.current_version(db, consultation))
    counts = actions.comment_counts(db, consultation)
    return JSONResponse(
        {
            **_api_item(request, consultation, municipality, record_hashes(db, [consultation.id]).get(consultation.id)),
            "summary": consultation.summary,
            "comments": sum(counts.values()),
            "general_comments": counts.get("", 0),
            "paragraphs": [
                {"id": p.key, "label": p.label, "text": p.text, "comments": counts.get(p.key, 0)}
                for _section, paragraphs in document.sections
                for p in paragraphs
            ],
        }
    )


routes = [
    Route("/consultations", list_page, name="consultations:list"),
    Route("/consultations/new", create, methods=["GET", "POST"], name="consultations:create"),
    Route("/consultations/{slug}", cached_for_readers(detail), name="consultations:detail"),
    Route("/consultations/{slug}/edit", edit_draft, methods=["GET", "POST"], name="consultations:edit"),
    Route("/consultations/{slug}/discussion", cached_for_readers(discussion), name="consultations:discussion"),
    Route("/consultations/{slug}/paragraphs/{key}", cached_for_readers(paragraph), name="consultations:paragraph"),
    Route("/consultations/{slug}/comments", comment, methods=["POST"], name="consultations:comment"),
    Route("/api/consultations", api_list, name="api:consultations"),
    Route("/api/consultations/{slug}", api_detail, name="api:consultation"),
]
