"""The surveys' part of the report: how many the municipality ran, and the results of its evaluation of cooperation.

The results (the surveys feature's `results_of`) are copied into plain JSON (counts and percentages per option, a
scale's mean, a ranking's average places), so the snapshot holds numbers, never a survey's live rows. Text answers are
counted, not quoted: they are moderated on the survey's own results page, and a frozen report could not follow a later
moderation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from consult import models

EVALUATION_TEMPLATE = "cooperation_evaluation"
TEXT_KINDS = ("short_text", "long_text")


def surveys_run(session: Session, survey, response, municipality_id: int, year: int) -> dict[str, int]:
    from consult.reports.figures import _in_year

    ids = select(survey.id).where(
        survey.owner_organisation_id == municipality_id,
        col(survey.published_at).is_not(None),
        _in_year(col(survey.opens_at), year),
    )
    run = session.exec(select(func.count()).select_from(survey).where(col(survey.id).in_(ids))).one()
    answers = session.exec(select(func.count()).select_from(response).where(col(response.survey_id).in_(ids))).one()
    return {"run": run, "responses": answers}


def evaluation_survey(session: Session, municipality_id: int, year: int):
    """The municipality's evaluation of the year's cooperation: a published survey of the ready template opened
    during the year or before the report is due (31 May of the next year); the one naming the year first, else the
    newest."""
    survey = getattr(models, "Survey", None)
    if survey is None:
        return None
    start = datetime(year, 1, 1, tzinfo=UTC)
    due = datetime(year + 1, 6, 1, tzinfo=UTC)
    found = session.exec(
        select(survey)
        .where(
            survey.owner_organisation_id == municipality_id,
            survey.template == EVALUATION_TEMPLATE,
            col(survey.published_at).is_not(None),
            col(survey.opens_at) >= start,
            col(survey.opens_at) < due,
        )
        .order_by(col(survey.opens_at).desc())
    ).all()
    return next((s for s in found if str(year) in s.title), found[0] if found else None)


def evaluation_results(session: Session, municipality_id: int, year: int) -> dict[str, Any] | None:
    """The evaluation survey's results as plain numbers (from the surveys' own `results_of`), or None when there is
    none on the platform."""
    survey = evaluation_survey(session, municipality_id, year)
    if survey is None:
        return None
    from consult.surveys.results import results_of

    results = results_of(session, survey)
    questions = []
    for q in results.questions:
        found: dict[str, Any] = {"text": q.question.text, "kind": q.question.kind, "answered": q.answered}
        if q.question.kind in TEXT_KINDS:
            found["texts"] = q.texts
        else:
            found["options"] = [
                {"option": r.label, "count": r.count, "percent": r.percent}
                | ({"mean_rank": r.mean_rank} if q.question.kind == "ranking" else {})
                for r in q.rows
            ]
            found["mean"] = q.mean
        questions.append(found)
    return {
        "title": survey.title,
        "slug": survey.slug,
        "opens_at": survey.opens_at.astimezone(UTC).isoformat(),
        "closes_at": survey.closes_at.astimezone(UTC).isoformat(),
        "responses": results.responses,
        "questions": questions,
    }
