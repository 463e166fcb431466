"""The yearly report's pages: the municipality's list, the report (a draft for its officials, the published snapshot
for everyone) with its JSON, CSV and PDF, and the official's form, review and publication."""

from __future__ import annotations

from sqlmodel import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from consult.errors import DomainError
from consult.forms import Form, empty_form, values_of
from consult.i18n import gettext
from consult.models import ImplementationReport, Organisation
from consult.organisations.views import require_user
from consult.records.snapshot import json_chunks
from consult.reports import actions, build, entered, export, present, snapshot
from consult.web import flash, render, see_other

RETRY_SECONDS = 30


def load_municipality(request: Request) -> Organisation:
    found = request.state.db.exec(
        select(Organisation).where(
            Organisation.slug == request.path_params["slug"], Organisation.kind == "municipality"
        )
    ).first()
    if found is None:
        raise HTTPException(404)
    return found


def load_report(request: Request, published: bool = False) -> tuple[Organisation, ImplementationReport]:
    """The year's report: a draft only for those who prepare it (404 for everyone else), else the published one."""
    municipality = load_municipality(request)
    report = actions.get_report(request.state.db, municipality, request.path_params["year"])
    if report is None or (report.status != "published" and (published or not _manages(request, municipality))):
        raise HTTPException(404, gettext("This report is not published."))
    return municipality, report


def _manages(request: Request, municipality: Organisation) -> bool:
    return actions.may_manage(request.state.user, municipality)


def _managed(request: Request) -> tuple[Organisation, ImplementationReport]:
    """The report an official works on: 401 for a visitor, 403 for anyone else, 409 once published."""
    user = require_user(request)
    municipality = load_municipality(request)
    if not actions.may_manage(user, municipality):
        raise HTTPException(403)
    report = actions.get_report(request.state.db, municipality, request.path_params["year"])
    if report is None:
        raise HTTPException(404)
    if report.status == "published":
        raise HTTPException(409, gettext("This report is published and can no longer change."))
    return municipality, report


def _fail(form: Form, error: DomainError) -> int:
    form.add_error(error)
    return error.status_code


async def index(request: Request):
    municipality = load_municipality(request)
    manages = _manages(request, municipality)
    form, status = empty_form(), 200
    if request.method == "POST":
        user = require_user(request)
        if not manages:
            raise HTTPException(403)
        form.values = values_of(await request.form())
        try:
            year = int(str(form.values.get("year", ""))[:6])
        except ValueError:
            form.errors["year"], status = gettext("Enter a year, e.g. 2026."), 422
        else:
            try:
                actions.start_report(request.state.db, user, municipality, year)
            except DomainError as error:
                status = _fail(form, error)
            else:
                return see_other(request.url_for("reports:edit", slug=municipality.slug, year=year))
    context = {
        "municipality": municipality,
        "reports": actions.reports_of(request.state.db, municipality, drafts=manages),
        "manages": manages,
        "form": form,
    }
    return render(request, "reports/index.html", context, status_code=status)


def report_context(request: Request, municipality, report, data: dict) -> dict:
    return {
        "municipality": municipality,
        "report": report,
        "data": data,
        "sections": present.sections(data),
        "evaluation": present.evaluation_rows(data["evaluation"]),
        "manages": _manages(request, municipality),
        "pdf_state": snapshot.pdf_state(request.state.db, report) if report.status == "published" else None,
    }


async def detail(request: Request):
    municipality, report = load_report(request)
    db = request.state.db
    published = report.status == "published"
    data = snapshot.load(db, report) if published else build.build(db, report, municipality)
    context = report_context(request, municipality, report, data)
    context["missing"] = build.missing(data, report) if report.status != "published" else []
    return render(request, "reports/report.html", context)


def _headers(municipality: Organisation, report: ImplementationReport, extension: str) -> dict[str, str]:
    name = f"sprawozdanie-{municipality.slug}-{report.year}.{extension}"
    return {"Content-Disposition": f'attachment; filename="{name}"', "X-Report-SHA256": report.sha256}


async def report_json(request: Request):
    municipality, report = load_report(request, published=True)
    content = snapshot.stored(request.state.db, report, "json")
    chunks = json_chunks(content, report.sha256)
    return StreamingResponse(chunks, media_type="application/json", headers=_headers(municipality, report, "json"))


async def report_csv(request: Request):
    municipality, report = load_report(request, published=True)
    content = export.csv_text(snapshot.load(request.state.db, report), report.sha256)
    return Response(content, media_type="text/csv; charset=utf-8", headers=_headers(municipality, report, "csv"))


async def report_pdf(request: Request):
    municipality, report = load_report(request, published=True)
    content = snapshot.stored(request.state.db, report, "pdf")
    if content is None:
        failed = snapshot.pdf_state(request.state.db, report) == "failed"
        context = {"municipality": municipality, "report": report, "failed": failed}
        response = render(request, "reports/pending.html", context, status_code=503)
        response.headers["Retry-After"] = str(RETRY_SECONDS)
        return response
    return Response(content, media_type="application/pdf", headers=_headers(municipality, report, "pdf"))


async def edit(request: Request):
    """The official's form: tasks and amounts, the figures the platform cannot know, indicators, conclusions."""
    municipality, report = _managed(request)
    db = request.state.db
    status = 200
    if request.method == "POST":
        values = values_of(await request.form())
        found, errors = entered.parse(values)
        form, status = Form(None, values, errors), 422
        if not errors:
            try:
                actions.save_report(db, request.state.user, municipality, report, found)
            except DomainError as error:
                status = _fail(form, error)
            else:
                flash(request, gettext("The report is saved."))
                target = "reports:publish" if values.get("then") == "publish" else "reports:edit"
                return see_other(request.url_for(target, slug=municipality.slug, year=report.year))
        shown = found
    else:
        shown = entered.load(report)
        form = Form(None, entered.form_values(shown))
    data = build.build(db, report, municipality)
    needs = build.needs_value(
        build.indicators(shown.indicators, shown.indicator_values, data["entered"], data["platform"])
    )
    context = {
        "municipality": municipality,
        "report": report,
        "form": form,
        "tasks": shown.priority_tasks,
        "indicators": list(zip(shown.indicators, needs, strict=True)),
        "platform": present.platform_rows(data["platform"]),
        "labels": _labels(shown),
    }
    return render(request, "reports/edit.html", context, status_code=status)


def _labels(shown: entered.Entered) -> dict[str, str]:
    """Every field's label, for the field and for the error summary's link to it."""
    labels = {name: gettext(label) for name, label in entered.FIELD_LABELS.items()}
    for i, task in enumerate(shown.priority_tasks):
        labels[f"task_amount_{i}"] = gettext("Amount spent on the task: %(task)s", task=task)
    for i, name in enumerate(shown.indicators):
        labels[f"indicator_value_{i}"] = gettext("Value of the indicator: %(name)s", name=name)
    return labels


async def review(request: Request):
    municipality, report = _managed(request)
    actions.review_report(request.state.db, request.state.user, municipality, report)
    flash(request, gettext("The report is marked as reviewed."))
    return see_other(request.url_for("reports:detail", slug=municipality.slug, year=report.year))


async def publish(request: Request):
    """What is still missing, and the button that freezes the report."""
    municipality, report = _managed(request)
    db = request.state.db
    form, status = empty_form(), 200
    if request.method == "POST":
        try:
            actions.publish_report(db, request.state.user, municipality, report)
        except DomainError as error:
            db.rollback()
            status = _fail(form, error)
        else:
            flash(request, gettext("The report is published. It can no longer change."))
            return see_other(request.url_for("reports:detail", slug=municipality.slug, year=report.year))
    data = build.build(db, report, municipality)
    context = {"municipality": municipality, "report": report, "form": form, "missing": build.missing(data, report)}
    return render(request, "reports/publish.html", context, status_code=status)


BASE = "/municipalities/{slug}/reports"
routes = [
    Route(BASE, index, methods=["GET", "POST"], name="reports:index"),
    Route(BASE + "/{year:id}", detail, name="reports:detail"),
    Route(BASE + "/{year:id}.json", report_json, name="reports:json"),
    Route(BASE + "/{year:id}.csv", report_csv, name="reports:csv"),
    Route(BASE + "/{year:id}.pdf", report_pdf, name="reports:pdf"),
    Route(BASE + "/{year:id}/edit", edit, methods=["GET", "POST"], name="reports:edit"),
    Route(BASE + "/{year:id}/review", review, methods=["POST"], name="reports:review"),
    Route(BASE + "/{year:id}/publish", publish, methods=["GET", "POST"], name="reports:publish"),
]
