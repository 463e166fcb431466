"""Revised versions: the list, publishing a new one (edited in place or uploaded again), the word-level diff."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import NoMatchFound, Route

from consult.consultations import actions, versions
from consult.consultations.document import DocumentError, ParsedDocument, parse_docx, parse_text
from consult.consultations.views import MAX_DOCX_BYTES, load_consultation
from consult.forms import DomainError, Form, validate, values_of
from consult.i18n import gettext
from consult.models import Consultation, Organisation
from consult.organisations.views import require_user
from consult.permissions import can
from consult.web import flash, render, see_other

MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")


def load_published(request: Request) -> tuple[Consultation, Organisation]:
    """A published consultation of the path (its versions are public), or 404."""
    consultation, municipality = load_consultation(request)
    if consultation.published_at is None:
        raise HTTPException(404)
    return consultation, municipality


async def list_versions(request: Request):
    consultation, municipality = load_published(request)
    found = versions.versions_of(request.state.db, consultation)
    context = {
        "consultation": consultation,
        "municipality": municipality,
        "versions": found,
        "can_manage": can(request.state.user, "consultation.manage", municipality),
    }
    return render(request, "consultations/versions.html", context)


async def _read_version_form(request: Request) -> tuple[Form, ParsedDocument | None, str, bool]:
    """The note and typed text, an uploaded .docx or Markdown file read by the importers (the same 5 MB limit,
    in a thread), and whether the official asked to check the text before publishing it."""
    form_data = await request.form()
    values = values_of(form_data)
    upload = values.pop("upload", None)
    preview = values.pop("action", "") == "preview"
    form = validate(versions.VersionInput, values)
    parsed, source = None, "markdown"
    name = getattr(upload, "filename", "") or ""
    if name:
        data = await upload.read(MAX_DOCX_BYTES + 1)
        try:
            if len(data) > MAX_DOCX_BYTES:
                form.errors["upload"] = gettext("The file is larger than 5 MB.")
            elif name.lower().endswith(".docx"):
                parsed, source = await run_in_threadpool(parse_docx, data), "docx"
            elif name.lower().endswith(MARKDOWN_SUFFIXES):
                parsed = await run_in_threadpool(parse_text, data.decode("utf-8-sig"))
            else:
                form.errors["upload"] = gettext("Upload a Word document (.docx) or a Markdown file (.md).")
        except UnicodeDecodeError:
            form.errors["upload"] = gettext("The file is not UTF-8 text. Save it as UTF-8 and upload it again.")
        except DocumentError as exc:
            form.errors["upload"] = gettext(str(exc))
    return form, parsed, source, preview


async def _preview(form: Form, parsed: ParsedDocument | None) -> ParsedDocument | None:
    """The text as the importer reads it, without publishing: a file read is put into the text field to publish."""
    form.errors.pop("note", None)  # the note is asked for when publishing, not for a check
    if parsed is not None:
        form.values["document"] = versions.serialise_parsed(parsed)
        return parsed
    try:
        return await run_in_threadpool(parse_text, str(form.values.get("document", "")))
    except DocumentError as exc:
        form.errors["document"] = gettext(str(exc))
        return None


async def publish_version(request: Request):
    """An official publishes a revised version of a published consultation's document."""
    consultation, municipality = load_consultation(request)
    user = require_user(request)
    db = request.state.db
    if not can(user, "consultation.manage", municipality):
        raise HTTPException(403, gettext("Only the municipality's officials publish a revised version."))
    if consultation.published_at is None:
        raise HTTPException(409, gettext("A draft's document is changed by editing the draft."))
    if actions.is_frozen(db, consultation):
        raise HTTPException(
            409, gettext("The consultation record is published: nothing in this consultation can change.")
        )
    current = actions.current_version(db, consultation)
    db.commit()  # no read transaction stays open while the upload is read
    preview = None
    if request.method == "POST":
        form, parsed, source, wants_preview = await _read_version_form(request)
        if wants_preview and "upload" not in form.errors:
            preview = await _preview(form, parsed)
        elif form.ok:
            try:
                new = versions.publish_version(db, user, consultation, form.data, parsed, source)
            except DomainError as error:
                db.rollback()
                if error.status_code in (403, 409):
                    raise HTTPException(error.status_code, error.translated()) from error
                form.add_error(error)
            else:
                flash(request, gettext("Version %(number)s is published.", number=new.number))
                url = request.url_for("versions:diff", slug=consultation.slug)
                return see_other(url.include_query_params(**{"from": new.number - 1, "to": new.number}))
    else:
        form = Form(None, {"document": versions.serialise_view(actions.document_of(db, current)), "note": ""})
    context = {
        "consultation": consultation,
        "municipality": municipality,
        "form": form,
        "current": current,
        "preview": preview,
    }
    return render(request, "consultations/new_version.html", context, status_code=422 if form.errors else 200)


def _number(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise HTTPException(404, gettext("There is no such version of this document.")) from None


def _links(request: Request, consultation: Consultation, diff: versions.VersionDiff, keys: set[str]) -> dict:
    """Where each contribution behind a change is read: its place in the paragraph's thread, or the proposal."""
    links: dict[tuple[str, int], str | None] = {}
    for paragraph in diff.paragraphs:
        for c in paragraph.contributions:
            if c.kind == "comment" and c.key in keys:
                url = request.url_for("consultations:paragraph", slug=consultation.slug, key=c.key)
                links[c.kind, c.id] = f"{url.include_query_params(page=c.page)}#comment-{c.id}"
            elif c.kind == "comment":  # its paragraph is gone from the current text: the comment with its replies
                links[c.kind, c.id] = f"{request.url_for('comments:replies', comment_id=c.id)}#comment-{c.id}"
            else:
                try:
                    links[c.kind, c.id] = str(
                        request.url_for("proposals:detail", slug=consultation.slug, proposal_id=c.id)
                    )
                except NoMatchFound:
                    links[c.kind, c.id] = None
    return links


async def diff(request: Request):
    """Two versions compared paragraph by paragraph (?from=1&to=2; by default the last two)."""
    consultation, municipality = load_published(request)
    db = request.state.db
    latest = actions.current_version(db, consultation)
    old_number = _number(request, "from", max(latest.number - 1, 1))
    new_number = _number(request, "to", latest.number)
    old, new = versions.get_version(db, consultation, old_number), versions.get_version(db, consultation, new_number)
    if old is None or new is None:
        raise HTTPException(404, gettext("There is no such version of this document."))
    result = versions.diff_versions(db, consultation, old, new)
    current_keys = versions.paragraph_keys(db, latest)
    context = {
        "consultation": consultation,
        "municipality": municipality,
        "diff": result,
        "blocks": versions.blocks_of(result),
        "versions": versions.versions_of(db, consultation),
        "links": _links(request, consultation, result, current_keys),
    }
    return render(request, "consultations/diff.html", context)


routes = [
    Route("/consultations/{slug}/versions", list_versions, name="versions:list"),
    Route("/consultations/{slug}/versions/new", publish_version, methods=["GET", "POST"], name="versions:publish"),
    Route("/consultations/{slug}/diff", diff, name="versions:diff"),
]
