"""The officials' review screen: every contribution of a closed consultation, answered in place."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from consult.answers import actions
from consult.consultations.actions import is_frozen, status_of
from consult.consultations.views import load_consultation
from consult.forms import DomainError, Form, validate, values_of
from consult.i18n import gettext, ngettext
from consult.models import POSITIONS, Consultation, Organisation, utcnow
from consult.organisations.views import require_user
from consult.permissions import can
from consult.records.build import record_numbers
from consult.records.live import live_table, live_xlsx_chunks
from consult.records.views import XLSX
from consult.web import flash, is_fragment_request, page_number, render, see_other


def load_review(request: Request) -> tuple[Consultation, Organisation]:
    """The consultation of the path, for an official of its municipality only (403 for anyone else)."""
    consultation, municipality = load_consultation(request)
    if not can(require_user(request), "consultation.manage", municipality):
        raise HTTPException(403, gettext("Only the officials of the consulting municipality answer contributions."))
    return consultation, municipality


def _ref(request: Request) -> actions.Ref:
    if request.path_params["kind"] not in actions.KINDS:
        raise HTTPException(404)
    return request.path_params["kind"], request.path_params["contribution_id"]


def _filters(params, page: int = 1) -> actions.ContributionFilter:
    return actions.ContributionFilter(params.get("paragraph", ""), params.get("organisation", ""), page)


def _back(values: dict) -> actions.ContributionFilter:
    """The filters of the review page a form was sent from (its hidden `back` field)."""
    params = dict(parse_qsl(str(values.get("back", ""))))
    page = params.get("page", "1")
    return _filters(params, int(page) if page.isdigit() else 1)


def _query(f: actions.ContributionFilter, page: int | None = None) -> str:
    page = f.page if page is None else page
    return urlencode({k: v for k, v in (("paragraph", f.paragraph), ("organisation", f.organisation)) if v} | (
        {"page": page} if page > 1 else {}))  # fmt: skip


def review_link(request: Request, consultation: Consultation, f: actions.ContributionFilter, anchor: str = "") -> str:
    """The review list with these filters, at f.page, and an anchor."""
    query = _query(f)
    url = request.url_for("answers:review", slug=consultation.slug)
    return f"{url}{'?' if query else ''}{query}{'#' if anchor else ''}{anchor}"


def answer_form(row: actions.Contribution, values: dict | None = None) -> Form:
    answer = row.answer
    if values is None:
        values = {"position": answer.position, "justification": answer.justification} if answer else {}
    return Form(None, values, prefix=f"{row.dom_id}-")


def _common(request: Request, consultation: Consultation, municipality: Organisation, back: str) -> dict:
    frozen = is_frozen(request.state.db, consultation)
    return {
        "consultation": consultation,
        "municipality": municipality,
        "frozen": frozen,
        "may_answer": not frozen and consultation.published_at is not None and status_of(consultation) == "closed",
        "positions": [(p, actions.position_label(p)) for p in POSITIONS],
        "back": back,
        "selected": [],
        "with_together": False,
        "numbers": record_numbers(request.state.db, consultation),  # as the record numbers them
    }


def _review_page(request, consultation, municipality, f, *, bulk: Form | None = None, status_code: int = 200):
    data = actions.review(request.state.db, consultation, f)
    context = _common(request, consultation, municipality, _query(f, data.page))
    context.update(
        review=data,
        filter=Form(None, {"paragraph": f.paragraph, "organisation": f.organisation}, prefix="filter-"),
        forms={row.key: answer_form(row) for row in data.rows},
        bulk=bulk or Form(None, {}, prefix="together-"),
        selected=bulk.values.get("selected", []) if bulk else [],
        shown=" ".join(row.key for row in data.rows),
        with_together=True,
        base=review_link(request, consultation, replace(f, page=1)) + ("&" if f.paragraph or f.organisation else "?"),
    )
    return render(request, "answers/review.html", context, status_code=status_code)


async def review(request: Request):
    consultation, municipality = load_review(request)
    return _review_page(request, consultation, municipality, _filters(request.query_params, page_number(request)))


def _saved(request, consultation, municipality, ref, values, message, also=()) -> Response:
    """After a change: back to the row's place in the list, or (htmx) the row's answer, the rows sharing it and the
    progress bar, out of band."""
    db = request.state.db
    if not is_fragment_request(request):
        flash(request, message)
        f = _back(values)
        f = replace(f, page=actions.page_of(db, consultation, f, ref))
        return see_other(review_link(request, consultation, f, f"contribution-{ref[0]}-{ref[1]}"))
    shown = {r for r in map(actions.parse_ref, str(values.get("shown", "")).split()) if r}
    row = actions.get_contribution(db, consultation, ref)
    linked = ({*row.answer.covers} if row.answer else set()) | set(also)
    others = actions.contributions(db, consultation, refs=sorted((linked & shown) - {ref})) if linked & shown else []
    context = _common(request, consultation, municipality, str(values.get("back", "")))
    rows = [row, *others]
    context.update(rows=rows, forms={r.key: answer_form(r) for r in rows}, notice=message)
    context["progress"] = actions.progress(db, consultation)
    return render(request, "answers/_saved.html", context)


def _refuse(error: DomainError) -> None:
    if error.status_code in (403, 404):
        raise HTTPException(error.status_code, error.translated()) from error


async def answer(request: Request):
    """One contribution's answer: the region of its row with htmx, a page of its own without."""
    values = values_of(await request.form()) if request.method == "POST" else {}
    consultation, municipality = load_review(request)
    db, ref = request.state.db, _ref(request)
    row = actions.get_contribution(db, consultation, ref)
    if row is None:
        raise HTTPException(404)
    form, status = answer_form(row), 200
    if request.method == "POST":
        posted = validate(actions.AnswerInput, values)
        form, status = answer_form(row, values), 422
        form.errors = posted.errors
        if posted.ok:
            try:
                actions.answer_contribution(db, request.state.user, consultation, ref, posted.data)
            except DomainError as error:
                db.rollback()
                _refuse(error)
                form.add_error(error)
                status = error.status_code
            else:
                return _saved(request, consultation, municipality, ref, values, gettext("The answer is saved."))
    context = _common(request, consultation, municipality, str(values.get("back", "")))
    context.update(row=row, form=form, shown=row.key)
    return render(request, "answers/answer.html", context, fragment="answers/_answer.html", status_code=status)


async def detach(request: Request):
    values = values_of(await request.form())
    consultation, municipality = load_review(request)
    db, ref = request.state.db, _ref(request)
    before = actions.get_contribution(db, consultation, ref)
    if before is None:
        raise HTTPException(404)
    try:
        actions.detach_contribution(db, request.state.user, consultation, ref)
    except DomainError as error:
        db.rollback()
        raise HTTPException(error.status_code, error.translated()) from error
    message = gettext("The contribution no longer shares that answer. Give it an answer of its own.")
    return _saved(request, consultation, municipality, ref, values, message, before.answer.covers)


async def together(request: Request):
    """One answer for the selected contributions, or (button `attach_to`) the selected attached to an answer."""
    form_data = await request.form()
    values = values_of(form_data) | {"selected": form_data.getlist("selected")}
    consultation, municipality = load_review(request)
    db, user = request.state.db, request.state.user
    refs = [r for r in map(actions.parse_ref, values["selected"]) if r]
    bulk, status = Form(None, values, prefix="together-"), 422
    attach_to = str(values.get("attach_to", ""))
    posted = validate(actions.AnswerInput, values)
    if not refs:
        bulk.errors["selected"] = gettext("Select at least one contribution.")
    if not attach_to.isdigit():
        bulk.errors.update(posted.errors)
    try:
        if not bulk.errors and attach_to.isdigit():
            actions.attach_to_answer(db, user, consultation, refs, int(attach_to))
        elif not bulk.errors:
            actions.answer_together(db, user, consultation, refs, posted.data)
    except DomainError as error:
        db.rollback()
        _refuse(error)
        bulk.add_error(error)
        status = error.status_code
    if bulk.errors:
        return _review_page(request, consultation, municipality, _back(values), bulk=bulk, status_code=status)
    n = len(set(refs))
    flash(
        request,
        ngettext("One answer now covers %(num)d contribution.", "One answer now covers %(num)d contributions.", n),
    )
    return see_other(review_link(request, consultation, _back(values), f"consultation-{consultation.id}-contributions"))


async def table_xlsx(request: Request):
    """The table of comments as it stands (zestawienie uwag), numbered as the record will be; officials only."""
    consultation, municipality = load_review(request)
    if consultation.published_at is None:
        raise HTTPException(404)
    data = live_table(request.state.db, consultation, municipality)
    request.state.db.commit()  # the workbook is written in a thread, with no transaction held (nothing was written)
    today = utcnow().astimezone(ZoneInfo(request.app.state.settings.time_zone))
    name = f"zestawienie-uwag-{consultation.slug}-{today:%Y-%m-%d}.xlsx"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(live_xlsx_chunks(data), media_type=XLSX, headers=headers)


CONTRIBUTION = "/consultations/{slug}/contributions/{kind}/{contribution_id:id}"
routes = [
    Route("/consultations/{slug}/review", review, name="answers:review"),
    Route("/consultations/{slug}/review/together", together, methods=["POST"], name="answers:together"),
    Route("/consultations/{slug}/review/table.xlsx", table_xlsx, name="answers:xlsx"),
    Route(CONTRIBUTION + "/answer", answer, methods=["GET", "POST"], name="answers:answer"),
    Route(CONTRIBUTION + "/detach", detach, methods=["POST"], name="answers:detach"),
]
