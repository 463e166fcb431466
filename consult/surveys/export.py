"""A survey's answers as CSV for a spreadsheet (UTF-8 with a BOM, semicolons, like the codebase's other CSVs), one
row per response, streamed: responses are read a batch at a time, so memory stays flat whatever their number."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlmodel import Session, col, select

from consult.i18n import _, gettext
from consult.meetings.export import DELIMITER, cell
from consult.models import Organisation, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse, User
from consult.surveys.queries import options_of, questions_of

BATCH = 500


def _line(row: list[object]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=DELIMITER).writerow(row)
    return out.getvalue()


Item = tuple[int, int | None, str]  # option, rank, text


def _value(question: SurveyQuestion, options: list[str], items: list[Item]) -> str:
    if question.kind in ("short_text", "long_text"):
        return items[0][2] if items else ""
    if question.kind == "scale":
        return str(items[0][0]) if items else ""
    if question.kind == "ranking":
        ordered = sorted(items, key=lambda a: a[1] or 0)
        return "; ".join(f"{rank}. {options[option - 1]}" for option, rank, _t in ordered if 0 < option <= len(options))
    return "; ".join(options[option - 1] for option, _r, _t in sorted(items) if 0 < option <= len(options))


def survey_csv(session: Session, survey: Survey) -> Iterator[bytes]:
    """The header, then each batch of responses (keyset by their random id, so no OFFSET walks the table); rows are
    read as plain tuples, never as objects."""
    questions = [q for q in questions_of(session, survey.id) if q.kind != "section"]
    options = {q.id: options_of(q) for q in questions}
    named = not survey.anonymous and survey.audience != "link"
    header = [gettext(_("No.")), gettext(_("Day"))]
    header += [gettext(_("Organisation or person"))] if named else []
    yield ("\ufeff" + _line(header + [cell(q.text) for q in questions])).encode("utf-8")
    after, number = "", 0
    while True:
        query = select(
            SurveyResponse.id, SurveyResponse.submitted_on, SurveyResponse.organisation_id, SurveyResponse.user_id
        )
        query = query.where(SurveyResponse.survey_id == survey.id, SurveyResponse.id > after)
        responses = list(session.exec(query.order_by(col(SurveyResponse.id)).limit(BATCH)).all())
        if not responses:
            return
        by_response: dict[str, dict[int, list[Item]]] = {}
        answers = select(
            SurveyAnswer.response_id,
            SurveyAnswer.question_id,
            SurveyAnswer.option,
            SurveyAnswer.rank,
            SurveyAnswer.text,
        ).where(col(SurveyAnswer.response_id).in_([r[0] for r in responses]))
        for response_id, question_id, option, rank, text in session.exec(answers):
            by_response.setdefault(response_id, {}).setdefault(question_id, []).append((option, rank, text))
        names = _names(session, responses) if named else {}
        chunk = io.StringIO()
        writer = csv.writer(chunk, delimiter=DELIMITER)
        for response_id, submitted_on, _organisation, _user in responses:
            number += 1
            row: list[object] = [number, submitted_on.isoformat()]
            row += [cell(names.get(response_id, ""))] if named else []
            mine = by_response.get(response_id, {})
            row += [cell(_value(q, options[q.id], mine.get(q.id, []))) for q in questions]
            writer.writerow(row)
        yield chunk.getvalue().encode("utf-8")
        after = responses[-1][0]


def _names(session: Session, responses: list) -> dict[str, str]:
    """Each named response's organisation (or person), from its (id, day, organisation id, user id) row."""
    organisation_ids = {r[2] for r in responses if r[2]}
    user_ids = {r[3] for r in responses if r[3]}
    organisations = dict(
        session.exec(select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(organisation_ids))).all()
    )
    users = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(user_ids))).all())
    return {r[0]: organisations.get(r[2], "") if r[2] else users.get(r[3], "") for r in responses}
