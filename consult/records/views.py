"""The consultation record: publishing it, and reading it as HTML, PDF, CSV and JSON."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from consult import i18n
from consult.answers.contributions import position_label
from consult.consultations.views import load_consultation
from consult.entries.actions import CHANNEL_LABELS
from consult.forms import DomainError, empty_form, validate, values_of
from consult.i18n import format_when, gettext
from consult.models import Consultation, Organisation, Record
from consult.organisations.views import require_user
from consult.pagecache import cached_for_readers
from consult.permissions import can
from consult.records import actions, build, export
from consult.web import flash, render, see_other


def load_record(request: Request) -> tuple[Consultation, Organisation, Record]:
    consultation, municipality = load_consultation(request)
    record = actions.get_record(request.state.db, consultation)
    if record is None:
        raise HTTPException(404, gettext("The record of this consultation is not published yet."))
    return consultation, municipality, record


def _download_name(consultation: Consultation, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="protokol-{consultation.slug}.{extension}"'}


def record_time(value: str | None, style: str = "long") -> str:
    """A time of the record's data (ISO 8601) in Polish, Europe/Warsaw."""
    return format_when(datetime.fromisoformat(value), style=style) if value else ""


def channel_label(channel: str) -> str:
    return gettext(CHANNEL_LABELS.get(channel, "On the consultation platform"))


def record_context(request: Request, consultation, municipality, record) -> dict:
    db = request.state.db
    data = actions.record_data(db, consultation, municipality, record)
    rows = list(data.rows(db, consultation))
    return {
        "position_label": position_label,
        "channel_label": channel_label,
        "record_time": record_time,
        "consultation": consultation,
        "municipality": municipality,
        "record": record,
        "data": data.head,
        "rows": rows,
        "groups": _by_paragraph(rows),
        "counts": build.tally([*rows, *data.head["proposals"]]),
    }


def _by_paragraph(rows: list[dict]) -> list[tuple[str | None, list[dict]]]:
    groups: list[tuple[str | None, list[dict]]] = []
    for row in rows:
        if not groups or groups[-1][0] != row["paragraph"]:
            groups.append((row["paragraph"], []))
        groups[-1][1].append(row)
    return groups


async def record(request: Request):
    context = record_context(request, *load_record(request))
    return render(request, "records/record.html", context)


async def record_json(request: Request):
    consultation, municipality, found = load_record(request)
    db = request.state.db
    data = actions.record_data(db, consultation, municipality, found)
    chunks = export.json_chunks(data.head, data.rows(db, consultation), found.sha256)
    headers = {**_download_name(consultation, "json"), "X-Record-SHA256": found.sha256}
    return StreamingResponse(chunks, media_type="application/json", headers=headers)


async def record_csv(request: Request):
    consultation, municipality, found = load_record(request)
    db = request.state.db
    data = actions.record_data(db, consultation, municipality, found)
    chunks = export.csv_chunks(data.head, data.rows(db, consultation), found.sha256)
    headers = {**_download_name(consultation, "csv"), "X-Record-SHA256": found.sha256}
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)


PDFS_KEPT = 8


async def record_pdf(request: Request):
    """The record as PDF/A, rendered once per worker: the record is frozen, and WeasyPrint takes seconds."""
    consultation, municipality, found = load_record(request)
    kept: OrderedDict[tuple[str, str], bytes] = request.app.state.record_pdfs
    key = (found.sha256, i18n.current_locale.get())
    pdf = kept.get(key)
    if pdf is None:
        context = record_context(request, consultation, municipality, found)
        request.state.db.rollback()  # no read transaction held while the PDF renders in a thread
        template = request.app.state.templates.get_template("records/record_print.html")
        html = template.render({**context, "request": request})
        pdf = kept[key] = await run_in_threadpool(export.pdf_bytes, html, str(request.base_url))
        while len(kept) > PDFS_KEPT:
            kept.popitem(last=False)
    headers = {**_download_name(consultation, "pdf"), "X-Record-SHA256": found.sha256}
    return Response(pdf, media_type="application/pdf", headers=headers)


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
    Route("/consultations/{slug}/record/publish", publish, methods=["GET", "POST"], name="records:publish"),
]
