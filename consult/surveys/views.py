"""The surveys routes: the list, a survey with its answer form, the results (charts, tables, text answers moderated
by the owner), their publication and the CSV; the builder's routes live in builder_views."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import BaseRoute, Route

from consult.errors import DomainError
from consult.forms import Form, values_of
from consult.i18n import gettext, ngettext
from consult.surveys import actions, builder_views, queries
from consult.surveys.answers import field_name, parse_answers
from consult.surveys.export import survey_csv
from consult.surveys.flow import act_or_raise, labels, load_owned, load_survey, may_manage
from consult.surveys.results import bar_chart, results_of, texts_of
from consult.web import flash, is_fragment_request, render, see_other


async def list_page(request: Request):
    db, user = request.state.db, request.state.user
    context = {
        "open_surveys": queries.open_surveys(db),
        "public": queries.public_results(db),
        "waiting": queries.waiting_for(db, user) if user else [],
        "managed": queries.managed_surveys(db, user) if user else [],
        "may_create": user is not None and bool(queries.owner_choices(db, user)),
        **labels(),
    }
    return render(request, "surveys/list.html", context)


def detail_context(request: Request, survey, form: Form | None = None) -> dict:
    db, user = request.state.db, request.state.user
    questions = queries.questions_of(db, survey.id)
    organisations, answered = [], set()
    if user is not None and survey.audience == "organisations":
        organisations = queries.speaking_for(db, user)
        keys = [queries.respondent_key(o.id, None) for o in organisations]
        answered = queries.answered_by(db, survey.id, keys + [queries.respondent_key(None, user.id)])
    pending = [o for o in organisations if queries.respondent_key(o.id, None) not in answered]
    if form is None:
        form = Form(None, {"organisation_id": str(pending[0].id)} if pending else {})
    return {
        "survey": survey,
        "owner_name": queries.owner_name(db, survey),
        "questions": questions,
        "state": queries.status_of(survey),
        "form": form,
        "field_name": field_name,
        "organisations": organisations,
        "pending": [(str(o.id), o.name) for o in pending],
        "answered_orgs": [o for o in organisations if queries.respondent_key(o.id, None) in answered],
        "answered_self": user is not None and queries.respondent_key(None, user.id) in answered,
        "may_manage": may_manage(request, survey),
        "responses": queries.response_count(db, survey.id),
        "error_labels": {field_name(q): q.text for q in questions} | {"organisation_id": gettext("Organisation")},
        **labels(),
    }


async def detail(request: Request):
    survey = load_survey(request)
    return render(request, "surveys/detail.html", detail_context(request, survey))


async def answer(request: Request):
    values = values_of(await request.form())
    survey = load_survey(request)
    db, user = request.state.db, request.state.user
    if survey.audience != "link" and user is None:
        raise HTTPException(401)
    parsed = parse_answers(queries.questions_of(db, survey.id), values)
    form = Form(None, values, dict(parsed.errors))
    status = 422
    if not parsed.errors:
        raw = values.get("organisation_id", "")
        organisation_id = int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 12 else None
        try:
            actions.submit_response(db, user, survey, parsed, organisation_id)
        except DomainError as error:
            db.rollback()
            form.add_error(error)
            status = error.status_code
        else:
            flash(request, gettext("Thank you: your answer is saved."))
            return see_other(request.url_for("surveys:detail", slug=survey.slug))
    return render(request, "surveys/detail.html", detail_context(request, survey, form), status_code=status)


def _value_label(kind: str):
    def label(row) -> str:
        if kind == "ranking":
            return gettext("average place %(place)s", place=row.mean_rank if row.mean_rank is not None else "–")
        return f"{row.percent:g}% ({row.count})"

    return label


async def results(request: Request):
    survey = load_survey(request)
    owner = may_manage(request, survey)
    if not owner and survey.results_public_at is None:
        if request.state.user is None:
            raise HTTPException(401)
        raise HTTPException(403, gettext("The results are not public yet."))
    db = request.state.db
    found = results_of(db, survey)
    charts = {
        r.question.id: bar_chart(
            r,
            gettext("Chart: %(question)s", question=r.question.text)
            + " "
            + ngettext("(%(num)d answer)", "(%(num)d answers)", r.answered),
            f"survey-{survey.id}-chart-{r.question.id}",
            _value_label(r.question.kind),
        )
        for r in found.questions
        if r.rows
    }
    context = {
        "survey": survey,
        "owner_name": queries.owner_name(db, survey),
        "results": found,
        "charts": charts,
        "texts": texts_of(db, survey, shown_only=not owner),
        "owner": owner,
        "state": queries.status_of(survey),
        **labels(),
    }
    return render(request, "surveys/results.html", context)


async def publish_results(request: Request):
    values = values_of(await request.form())
    survey = load_owned(request)
    public = values.get("public") != "no"
    act_or_raise(request, lambda: actions.publish_results(request.state.db, request.state.user, survey, public))
    flash(request, gettext("The results are public.") if public else gettext("The results are no longer public."))
    return see_other(request.url_for("surveys:results", slug=survey.slug))


async def moderate(request: Request):
    values = values_of(await request.form())
    survey = load_owned(request)
    response_id, raw = str(values.get("response", ""))[:32], str(values.get("question", ""))
    if not raw.isdigit() or len(raw) > 12:
        raise HTTPException(404)
    shown = values.get("decision") == "shown"
    db, user = request.state.db, request.state.user
    text = act_or_raise(request, lambda: actions.moderate_text(db, user, survey, response_id, int(raw), shown))
    if is_fragment_request(request):
        return render(request, "surveys/_text.html", {"survey": survey, "t": text, "owner": True})
    return see_other(str(request.url_for("surveys:results", slug=survey.slug)) + f"#text-{text.response_id}")


async def csv_export(request: Request):
    survey = load_owned(request)
    headers = {"Content-Disposition": f'attachment; filename="{survey.slug}.csv"'}
    chunks = survey_csv(request.state.db, survey)
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)


routes: list[BaseRoute] = [
    Route("/surveys", list_page, name="surveys:list"),
    *builder_views.routes,
    Route("/surveys/{slug}", detail, name="surveys:detail"),
    Route("/surveys/{slug}/answer", answer, methods=["POST"], name="surveys:answer"),
    Route("/surveys/{slug}/results", results, name="surveys:results"),
    Route("/surveys/{slug}/results.csv", csv_export, name="surveys:csv"),
    Route("/surveys/{slug}/results/publish", publish_results, methods=["POST"], name="surveys:publish_results"),
    Route("/surveys/{slug}/texts", moderate, methods=["POST"], name="surveys:moderate"),
]
