"""The knowledge base's pages: the list with its filters, an item with its files, publishing (the support centre,
network coordinators), proposing a good practice (any organisation), the proposals and their review, and the files."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from babel.numbers import format_decimal
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.consultations import uploads as kept_files
from consult.errors import DomainError
from consult.forms import Form, parse_form, validate, values_of
from consult.i18n import _, current_locale, gettext
from consult.knowledge import actions, files
from consult.knowledge.files import CheckedFile
from consult.models import FIELDS_OF_ACTIVITY, KnowledgeItem, Organisation
from consult.organisations.actions import organisations_of
from consult.organisations.views import require_user
from consult.permissions import can
from consult.web import flash, page_number, render, see_other

PUBLISHERS_ONLY = _("Only the support centre and network coordinators publish in the knowledge base.")
FILE_FIELDS = {"attachment": False, "photo": True}  # name: is a photo


def kind_options() -> list[tuple[str, str]]:
    return [(kind, gettext(label)) for kind, label in actions.KIND_LABELS.items()]


def _labels() -> dict[str, str]:
    return {
        "title": gettext("Title"),
        "kind": gettext("Kind"),
        "summary": gettext("Summary"),
        "body": gettext("Text"),
        "fields": gettext("Fields of activity"),
        "topics": gettext("Topics"),
        "attachment": gettext("Attachment"),
        "photo": gettext("Photo"),
        "photo_alt": gettext("What the photo shows (alternative text)"),
        "publisher": gettext("Published by"),
        "reason": gettext("Reason"),
        "decision": gettext("Decision"),
    }


def _choice(value: str, allowed) -> str:
    return value if value in allowed else ""


async def list_page(request: Request):
    params = request.query_params
    f = actions.KnowledgeFilter(
        kind=_choice(params.get("kind", ""), actions.KIND_LABELS),
        field=_choice(params.get("field", ""), FIELDS_OF_ACTIVITY),
        topic=params.get("topic", "").strip().lower()[:40],
        q=params.get("q", "").strip()[:200],
        page=page_number(request),
    )
    db, user = request.state.db, request.state.user
    rows, total = actions.list_items(db, f)
    standing = actions.standing_of(db, user)
    context = {
        "rows": rows,
        "total": total,
        "filter": f,
        "page_size": actions.PAGE_SIZE,
        "kinds": kind_options(),
        "topics": actions.known_topics(db),
        "kind_labels": {k: gettext(v) for k, v in actions.KIND_LABELS.items()},
        "may_publish": can(user, "knowledge.publish", standing),
        "may_propose": user is not None and bool(user.roles),
        "fields_of_activity": FIELDS_OF_ACTIVITY,
    }
    return render(request, "knowledge/list.html", context, fragment="knowledge/_results.html")


def load_item(request: Request) -> tuple[KnowledgeItem, actions.Standing]:
    """The item of the address, or 404 (a proposal is shown only to its organisation and its reviewers)."""
    db = request.state.db
    item = actions.get_item(db, request.path_params["slug"])
    standing = actions.standing_of(db, request.state.user)
    if item is None or not actions.may_read(request.state.user, item, standing):
        raise HTTPException(404)
    return item, standing


def _detail_context(request: Request, item: KnowledgeItem, standing, review: Form | None = None) -> dict:
    db = request.state.db
    stored = actions.files_of(db, item)
    return {
        "item": item,
        "listed": actions.item_details(db, item),
        "attachments": [f for f in stored if f.role == "attachment"],
        "photos": [f for f in stored if f.role == "photo"],
        "kind_labels": {k: gettext(v) for k, v in actions.KIND_LABELS.items()},
        "state_labels": {k: gettext(v) for k, v in actions.STATE_LABELS.items()},
        "may_review": item.state == "proposed" and can(request.state.user, "knowledge.review", standing),
        "review": review or Form(None, {}),
        "labels": _labels(),
        "size_label": size_label,
    }


def size_label(size: int) -> str:
    """A file's size as people read it: 340 kB, 2.4 MB."""
    if size >= 1024 * 1024:
        megabytes = format_decimal(round(size / (1024 * 1024), 1), locale=current_locale.get())
        return gettext("%(size)s MB", size=megabytes)
    return gettext("%(size)s kB", size=max((size + 1023) // 1024, 1))


async def detail(request: Request):
    item, standing = load_item(request)
    return render(request, "knowledge/detail.html", _detail_context(request, item, standing))


async def review(request: Request):
    """Publish a proposed good practice or reject it with a reason."""
    form = await parse_form(request, actions.ReviewInput)
    item, standing = load_item(request)
    user = require_user(request)
    if not can(user, "knowledge.review", standing):
        raise HTTPException(403, gettext("Only the support centre and network coordinators review proposals."))
    status = 422
    if form.ok:
        try:
            actions.review_item(request.state.db, user, standing, item, form.data)
        except DomainError as error:
            request.state.db.rollback()
            if error.status_code == 403:
                raise HTTPException(403, error.translated()) from error
            form.add_error(error)
            status = error.status_code
            item, standing = load_item(request)
        else:
            published = item.state == "published"
            message = _("The good practice is published.") if published else _("The proposal is rejected.")
            flash(request, gettext(message))
            return see_other(request.url_for("knowledge:detail", slug=item.slug))
    context = _detail_context(request, item, standing, form)
    return render(request, "knowledge/detail.html", context, status_code=status)


# --- the publishing and proposing forms ---------------------------------------------------------


@dataclass
class Posted:
    """The form as sent: validated values, and the files it carried (new, or kept from an earlier try)."""

    form: Form
    files: dict[str, CheckedFile] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def uploads(self) -> list[actions.Upload]:
        alt = self.form.data.photo_alt if self.form.data is not None else ""
        return [
            actions.Upload(checked, "photo" if FILE_FIELDS[name] else "attachment", alt if FILE_FIELDS[name] else "")
            for name, checked in self.files.items()
        ]


async def _read_form(request: Request) -> Posted:
    """The form's values validated; each file checked on its content (a refusal goes beside its field), or the file
    kept from the last try when none was chosen."""
    form_data = await request.form()
    values = values_of(form_data)
    sent = {name: values.pop(name, None) for name in FILE_FIELDS}
    tokens = {name: str(values.pop(f"{name}_token", "")) for name in FILE_FIELDS}
    dropped = {name: bool(values.pop(f"drop_{name}", "")) for name in FILE_FIELDS}
    for name in FILE_FIELDS:
        values.pop(f"{name}_name", None)
    posted = Posted(validate(actions.KnowledgeInput, values))
    db, user_id = request.state.db, request.state.user.id
    for name, photo in FILE_FIELDS.items():
        upload = sent[name]
        limit = files.MAX_PHOTO_BYTES if photo else files.MAX_ATTACHMENT_BYTES
        if upload is not None and not isinstance(upload, str) and getattr(upload, "filename", ""):
            try:
                posted.files[name] = files.check_file(name, upload.filename, await upload.read(limit + 1), photo=photo)
            except DomainError as error:
                posted.form.errors[name] = error.translated()
        elif tokens[name] and not dropped[name]:
            kept = kept_files.kept_upload(db, user_id, tokens[name])
            db.commit()
            if kept is not None:
                try:  # a token of the other field (a document where a photo goes) is refused like a new file
                    posted.files[name] = files.check_file(name, kept.filename, kept.content, photo=photo)
                except DomainError as error:
                    posted.form.errors[name] = error.translated()
                else:
                    posted.tokens[name] = tokens[name]
    alt = str(values.get("photo_alt", ""))
    if (error := actions.photo_alt_error(posted.files.get("photo"), alt)) is not None:
        posted.form.errors.setdefault("photo_alt", error.translated())
    return posted


def _keep_files(request: Request, posted: Posted) -> None:
    """After a failed try: keep each accepted file, so that it need not be chosen again."""
    for name, checked in posted.files.items():
        token = posted.tokens.get(name) or kept_files.keep_upload(
            request.state.db, request.state.user.id, checked.filename, checked.content
        )
        posted.form.values.update({f"{name}_token": token, f"{name}_name": checked.filename})


def _forget_files(request: Request, posted: Posted) -> None:
    for token in posted.tokens.values():
        kept_files.drop_upload(request.state.db, request.state.user.id, token)
    request.state.db.commit()


def _form_page(request: Request, form: Form, options, *, proposing: bool, status: int = 200):
    context = {
        "form": form,
        "publishers": options,
        "proposing": proposing,
        "kinds": kind_options(),
        "labels": _labels(),
        "fields_of_activity": FIELDS_OF_ACTIVITY,
        "max_attachment_mb": files.MAX_ATTACHMENT_BYTES // (1024 * 1024),
        "max_photo_mb": files.MAX_PHOTO_BYTES // (1024 * 1024),
    }
    return render(request, "knowledge/form.html", context, status_code=status)


async def _submit(request: Request, options, proposing: bool, act):
    """The flow both forms share: read, act, and 303 to the item, or the form again with what was typed."""
    posted = await _read_form(request)
    form = posted.form
    if form.ok:
        try:
            item = act(form.data, posted.uploads())
        except DomainError as error:
            request.state.db.rollback()
            if error.status_code == 403:
                raise HTTPException(403, error.translated()) from error
            form.add_error(error)
        else:
            _forget_files(request, posted)
            message = gettext("Your proposal is sent for review.") if proposing else gettext("It is published.")
            flash(request, message)
            return see_other(request.url_for("knowledge:detail", slug=item.slug))
    _keep_files(request, posted)
    return _form_page(request, form, options, proposing=proposing, status=422)


async def create(request: Request):
    """Publish a guide, good practice or report (the support centre's members, network coordinators)."""
    user = require_user(request)
    db = request.state.db
    standing = actions.standing_of(db, user)
    if not can(user, "knowledge.publish", standing):
        raise HTTPException(403, gettext(PUBLISHERS_ONLY))
    options = actions.publisher_options(db, standing)
    db.commit()  # no read transaction stays open while the upload is read
    if request.method == "GET":
        values = {"kind": "guide", "publisher": options[0][0] if options else ""}
        return _form_page(request, Form(None, values), options, proposing=False)
    return await _submit(request, options, False, lambda data, ups: actions.publish_item(db, user, standing, data, ups))


async def propose(request: Request):
    """Propose a good practice in the name of one's organisation; it is published after review."""
    user = require_user(request)
    db = request.state.db
    mine = [o for o, _role in organisations_of(db, user.id) if can(user, "knowledge.propose", o)]
    if not mine:
        raise HTTPException(403, gettext("Only members of an organisation can propose a good practice."))
    options = [(str(o.id), o.name) for o in mine]
    db.commit()
    if request.method == "GET":
        return _form_page(request, Form(None, {"publisher": options[0][0]}), options, proposing=True)

    def act(data: actions.KnowledgeInput, ups: list[actions.Upload]) -> KnowledgeItem:
        chosen: Organisation | None = next((o for o in mine if str(o.id) == data.publisher), None)
        return actions.propose_item(db, user, chosen, data, ups)

    return await _submit(request, options, True, act)


async def proposals(request: Request):
    """Reviewers: the proposals awaiting review. Organisations: their proposals and what became of them."""
    user = require_user(request)
    db = request.state.db
    standing = actions.standing_of(db, user)
    context = {
        "rows": actions.proposals_for(db, user, standing),
        "reviewer": can(user, "knowledge.review", standing),
        "kind_labels": {k: gettext(v) for k, v in actions.KIND_LABELS.items()},
        "state_labels": {k: gettext(v) for k, v in actions.STATE_LABELS.items()},
    }
    return render(request, "knowledge/proposals.html", context)


async def download(request: Request):
    """A file with the type its content showed, never sniffed by the browser; images shown, documents saved."""
    db = request.state.db
    stored = actions.get_file(db, request.path_params["file_id"])
    item = db.get(KnowledgeItem, stored.item_id) if stored is not None else None
    if stored is None or item is None:
        raise HTTPException(404)
    if not actions.may_read(request.state.user, item, actions.standing_of(db, request.state.user)):
        raise HTTPException(404)
    disposition = "inline" if stored.file_type in files.PHOTO_TYPES else "attachment"
    fallback = stored.filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    headers = {
        "Content-Disposition": f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(stored.filename)}",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(stored.content, media_type=files.CONTENT_TYPES[stored.file_type], headers=headers)


routes = [
    Route("/knowledge", list_page, name="knowledge:list"),
    Route("/knowledge/new", create, methods=["GET", "POST"], name="knowledge:create"),
    Route("/knowledge/propose", propose, methods=["GET", "POST"], name="knowledge:propose"),
    Route("/knowledge/proposals", proposals, name="knowledge:proposals"),
    Route("/knowledge/files/{file_id:id}", download, name="knowledge:file"),
    Route("/knowledge/{slug}", detail, name="knowledge:detail"),
    Route("/knowledge/{slug}/review", review, methods=["POST"], name="knowledge:review"),
]
