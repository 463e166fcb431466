"""The builder: a new survey (from a ready template or blank), its settings and questions while it is a draft (add,
edit, move up or down, remove; htmx swaps the list in place, every button also works as a plain form), opening it."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.forms import Form, values_of
from consult.i18n import _, gettext
from consult.models import Survey, utcnow
from consult.organisations.views import require_user
from consult.permissions import can
from consult.surveys import actions, queries
from consult.surveys.flow import act_or_raise, attempt, checked, labels, load_owned, local_input
from consult.web import flash, is_fragment_request, render, see_other

ONLY_BUILDERS = _(
    "Surveys are built by a municipality's officials, a support centre's members or a network's coordinators."
)


def _survey_values(request: Request, survey: Survey) -> dict:
    return {
        "title": survey.title,
        "intro": survey.intro,
        "audience": survey.audience,
        "anonymous": "on" if survey.anonymous else "",
        "opens_at": local_input(request, survey.opens_at),
        "closes_at": local_input(request, survey.closes_at),
    }


async def create(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    user = require_user(request)
    db = request.state.db
    owners = queries.owner_choices(db, user)
    if not can(user, "survey.create", owners):
        raise HTTPException(403, gettext(ONLY_BUILDERS))
    initial = {"owner": owners[0].value if owners else "", "template": request.query_params.get("template", "")}
    form, status = Form(None, initial), 200
    if values is not None:
        form, status, survey = attempt(
            request, checked(actions.SurveyInput, values), lambda d: actions.create_survey(db, user, d)
        )
        if survey is not None:
            flash(request, gettext("The survey is saved as a draft: check its questions, then open it."))
            return see_other(request.url_for("surveys:edit", slug=survey.slug))
    context = {"form": form, "owners": [(o.value, o.name) for o in owners], "now": utcnow(), **labels()}
    return render(request, "surveys/new.html", context, status_code=status)


def builder_context(request: Request, survey: Survey, *, form: Form | None = None, new: Form | None = None) -> dict:
    db = request.state.db
    return {
        "survey": survey,
        "owner_name": queries.owner_name(db, survey),
        "questions": queries.questions_of(db, survey.id),
        "form": form or Form(None, _survey_values(request, survey)),
        "new": new or Form(None, {"kind": "single"}, prefix="new-"),
        "state": queries.status_of(survey),
        **labels(),
    }


async def edit(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    survey = load_owned(request)
    db, user = request.state.db, request.state.user
    form, status = None, 200
    if values is not None:
        form, status, changed = attempt(
            request, checked(actions.SurveyInput, values), lambda d: actions.edit_survey(db, user, survey, d)
        )
        if changed is not None:
            flash(request, gettext("The changes are saved."))
            return see_other(request.url_for("surveys:edit", slug=survey.slug))
    return render(request, "surveys/edit.html", builder_context(request, survey, form=form), status_code=status)


async def add_question(request: Request):
    values = values_of(await request.form())
    survey = load_owned(request)
    db, user = request.state.db, request.state.user
    new, status, added = attempt(
        request,
        checked(actions.QuestionInput, values, prefix="new-"),
        lambda d: actions.add_question(db, user, survey, d),
    )
    if added is not None:
        flash(request, gettext("The question is added."))
        return see_other(str(request.url_for("surveys:edit", slug=survey.slug)) + f"#question-{added.id}")
    return render(request, "surveys/edit.html", builder_context(request, survey, new=new), status_code=status)


async def question(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    survey = load_owned(request)
    db, user = request.state.db, request.state.user
    found = next((q for q in queries.questions_of(db, survey.id) if q.id == request.path_params["question_id"]), None)
    if found is None:
        raise HTTPException(404)
    stored = {"kind": found.kind, "text": found.text, "help": found.help, "options": found.options}
    form, status = Form(None, stored | {"required": "on" if found.required else ""}), 200
    if values is not None:
        act = lambda d: actions.edit_question(db, user, survey, found.id, d)  # noqa: E731
        form, status, changed = attempt(request, checked(actions.QuestionInput, values), act)
        if changed is not None:
            flash(request, gettext("The question is saved."))
            return see_other(str(request.url_for("surveys:edit", slug=survey.slug)) + f"#question-{found.id}")
    context = {"survey": survey, "question": found, "form": form, **labels()}
    return render(request, "surveys/question.html", context, status_code=status)


def _list_changed(request: Request, survey: Survey):
    """The question list again for htmx, else back to the builder."""
    if is_fragment_request(request):
        return render(request, "surveys/_questions.html", builder_context(request, survey))
    return see_other(str(request.url_for("surveys:edit", slug=survey.slug)) + "#survey-questions")


async def move_question(request: Request):
    values = values_of(await request.form())
    survey = load_owned(request)
    step = -1 if values.get("direction") == "up" else 1
    qid = request.path_params["question_id"]
    act_or_raise(request, lambda: actions.move_question(request.state.db, request.state.user, survey, qid, step))
    return _list_changed(request, survey)


async def remove_question(request: Request):
    survey = load_owned(request)
    qid = request.path_params["question_id"]
    act_or_raise(request, lambda: actions.remove_question(request.state.db, request.state.user, survey, qid))
    return _list_changed(request, survey)


async def open_survey(request: Request):
    survey = load_owned(request)
    act_or_raise(request, lambda: actions.open_survey(request.state.db, request.state.user, survey))
    flash(request, gettext("The survey is open: share its address with those who should answer."))
    return see_other(request.url_for("surveys:detail", slug=survey.slug))


routes = [
    Route("/surveys/new", create, methods=["GET", "POST"], name="surveys:create"),
    Route("/surveys/{slug}/edit", edit, methods=["GET", "POST"], name="surveys:edit"),
    Route("/surveys/{slug}/questions", add_question, methods=["POST"], name="surveys:add_question"),
    Route("/surveys/{slug}/questions/{question_id:id}", question, methods=["GET", "POST"], name="surveys:question"),
    Route("/surveys/{slug}/questions/{question_id:id}/move", move_question, methods=["POST"], name="surveys:move"),
    Route(
        "/surveys/{slug}/questions/{question_id:id}/remove", remove_question, methods=["POST"], name="surveys:remove"
    ),
    Route("/surveys/{slug}/open", open_survey, methods=["POST"], name="surveys:open"),
]
