"""The consultation record: publishing it, and reading it, from its snapshot, as HTML, PDF, CSV, XLSX and JSON."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from consult.answers.contributions import position_label
from consult.consultations.views import load_consultation
from consult.forms import DomainError, empty_form, validate, values_of
from consult.i18n import gettext
from consult.models import Consultation, Organisation, Record
from consult.organisations.views import require_user
from consult.pagecache import cached_for_readers
from consult.permissions import can
from consult.records import actions, export, snapshot, table
from consult.records.history import history_rows
from consult.web import flash, render, see_other

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RETRY_SECONDS = 30


def load_record(request: Request) -> tuple[Consultation, Organisation, Record]:
    consultation, municipality = load_consultation(request)
    record = actions.get_record(request.state.db, consultation)
    if record is None:
        raise HTTPException(404, gettext("The record of this consultation is not published yet."))
    return consultation, municipality, record


def preparing(request: Request, consultation: Consultation, record: Record, what: str = "record") -> Response:
    """503 with Retry-After: the PDF not rendered yet, or (before `migrate` stored it) the record's snapshot."""
    failed = what == "pdf" and snapshot.pdf_state(request.state.db, record) == "failed"
    context = {"consultation": consultation, "record": record, "what": what, "failed": failed}
    response = render(request, "records/pending.html", context, status_code=503)
    response.headers["Retry-After"] = str(RETRY_SECONDS)
    return response


def _download_name(consultation: Consultation, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="protokol-{consultation.slug}.{extension}"'}


def _headers(consultation: Consultation, record: Record, extension: str) -> dict[str, str]:
    return {**_download_name(consultation, extension), "X-Record-SHA256": record.sha256}


def record_context(request: Request, consultation, municipality, record, data: dict) -> dict:
    rows = list(table.comment_rows(data))
    return {
        "position_label": position_label,
        "channel_label": table.channel_label,
        "record_time": table.record_time,
        "consultation": consultation,
        "municipality": municipality,
        "record": record,
        "data": data,
        "groups": _by_part(rows),
        "proposal_rows": list(table.proposal_rows(data)),
        "conversations": list(table.conversations(data)),
        "history": history_rows(data),
        "counts": data["counts"],
        "pdf_state": snapshot.pdf_state(request.state.db, record),
    }


def _by_part(rows: list[table.TableRow]) -> list[tuple[str, list[table.TableRow]]]:
    groups: list[tuple[str, list[table.TableRow]]] = []
    for row in rows:
        if not groups or groups[-1][0] != row.part:
            groups.append((row.part, []))
        groups[-1][1].append(row)
    return groups


async def record(request: Request):
    consultation, municipality, found = load_record(request)
    data = snapshot.load(request.state.db, found)
    if data is None:
        return preparing(request, consultation, found)
    return render(request, "records/record.html", record_context(request, consultation, municipality, found, data))


async def record_json(request: Request):
    """The stored snapshot's bytes with the sha256 key appended: the very bytes the hash was taken of."""
    consultation, _municipality, found = load_record(request)
    content = snapshot.stored(request.state.db, found, "json")
    if content is None:
        return preparing(request, consultation, found)
    chunks = snapshot.json_chunks(content, found.sha256)
    return StreamingResponse(chunks, media_type="application/json", headers=_headers(consultation, found, "json"))


async def record_csv(request: Request):
    consultation, _municipality, found = load_record(request)
    data = snapshot.load(request.state.db, found)
    if data is None:
        return preparing(request, consultation, found)
    chunks = export.csv_chunks(data, found.sha256)
    headers = _headers(consultation, found, "csv")
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)


async def record_xlsx(request: Request):
    consultation, _municipality, found = load_record(request)
    data = snapshot.load(request.state.db, found)
    if data is None:
        return preparing(request, consultation, found)
    request.state.db.rollback()  # the workbook is written in a thread, with no transaction held
    chunks = export.xlsx_chunks(data, found.sha256)
    return StreamingResponse(chunks, media_type=XLSX, headers=_headers(consultation, found, "xlsx"))


async def record_pdf(request: Request):
    """The PDF the worker rendered at publication, at once; until it exists, a page saying it is being prepared."""
    consultation, _municipality, found = load_record(request)
    content = snapshot.stored(request.state.db, found, "pdf")
    if content is None:
        return preparing(request, consultation, found, "pdf")
    return Response(content, media_type="application/pdf", headers=_headers(consultation, found, "pdf"))


async def publish(request: Request):
    """The official's screen: what is still unanswered, the conclusion, and the button that freezes it all."""
    values = values_of(await request.form()) if request.method == "POST" else {}
    user = require_user(request)
    consultation, municipality = load_consultation(request)
    db = request.state.db
    if not can(user, "consultation.manage", municipality):
        raise HTTPException(403)
    if actions.get_record(db, consultation) is not None:
        return see_other(request.url_for("records:record", slug=consultation.slug))
    form, status = empty_form(), 200
    if request.method == "POST":
        form, status = validate(actions.RecordInput, values), 422
        if form.ok:
            try:
                actions.publish_record(db, user, consultation, form.data)
            except DomainError as error:
                form.add_error(error)
                status = error.status_code
            else:
                flash(request, gettext("The record is published. The consultation is now frozen."))
                return see_other(request.url_for("records:record", slug=consultation.slug))
    missing, total = actions.missing_answers(db, consultation)
    context = {
        "consultation": consultation,
        "municipality": municipality,
        "form": form,
        "missing": missing,
        "missing_total": total,
        "review_url": request.url_for("answers:review", slug=consultation.slug),
    }
    return render(request, "records/publish.html", context, status_code=status)


routes = [
    Route("/consultations/{slug}/record", cached_for_readers(record), name="records:record"),
    Route("/consultations/{slug}/record.json", record_json, name="records:json"),
    Route("/consultations/{slug}/record.csv", record_csv, name="records:csv"),
    Route("/consultations/{slug}/record.pdf", record_pdf, name="records:pdf"),
    Route("/consultations/{slug}/record.xlsx", record_xlsx, name="records:xlsx"),
    Route("/consultations/{slug}/record/publish", publish, methods=["GET", "POST"], name="records:publish"),
]
