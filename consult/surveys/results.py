"""A survey's results: counts and percentages per question (two grouped queries, whatever the number of answers),
the text answers with their moderation, and an accessible bar chart drawn on the server as SVG.

`results_of(session, survey)` is what the yearly report reads for the evaluation of cooperation."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlmodel import Session, col, select

from consult.models import Survey, SurveyAnswer, SurveyQuestion, SurveyTally
from consult.surveys.queries import options_of, questions_of, response_count

SCALE = (1, 2, 3, 4, 5)
TEXT_PAGE = 50  # text answers shown per question on the results page (the CSV has them all)


@dataclass
class Row:
    label: str
    count: int
    percent: float  # of those who answered the question
    mean_rank: float | None = None  # a ranking: the average place given (1 is first)


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int  # how many responses answered this question
    rows: list[Row] = field(default_factory=list)
    mean: float | None = None  # a scale's average
    texts: int = 0  # a text question: how many answers


@dataclass
class Results:
    survey: Survey
    responses: int
    questions: list[QuestionResult]


def _percent(count: int, whole: int) -> float:
    return round(100 * count / whole, 1) if whole else 0.0


def results_of(session: Session, survey: Survey) -> Results:
    """Per question: how many answered it and, for choices, a scale or a ranking, each option's count and percentage
    (a ranking: each option's average place, and how often it came first)."""
    questions = [q for q in questions_of(session, survey.id) if q.kind != "section"]
    # The running tallies kept with each answer: a few rows per question, whatever the number of answers.
    tallies = session.exec(
        select(
            SurveyTally.question_id, SurveyTally.option, SurveyTally.count, SurveyTally.rank_sum, SurveyTally.firsts
        ).where(SurveyTally.survey_id == survey.id)
    ).all()
    counts: dict[tuple[int, int], tuple[int, int]] = {(q, o): (n, r or 0) for q, o, n, r, _f in tallies}
    firsts = {(q, o): f or 0 for q, o, _n, _r, f in tallies}
    answered: dict[int, int] = {}  # how many answered each question, from its rows' kind
    kinds = {q.id: q.kind for q in questions}
    for (q, o), (n, _r) in counts.items():
        kind = kinds.get(q)
        if (kind in ("single", "scale") and o > 0) or (kind in ("multiple", "short_text", "long_text") and o == 0):
            answered[q] = answered.get(q, 0) + n
        elif kind == "ranking" and o == 1:
            answered[q] = n
    found = []
    for question in questions:
        whole = answered.get(question.id, 0)
        result = QuestionResult(question, whole)
        if question.kind in ("short_text", "long_text"):
            result.texts = counts.get((question.id, 0), (0, 0))[0]
        elif question.kind == "scale":
            result.rows = [Row(str(v), counts.get((question.id, v), (0, 0))[0], 0.0) for v in SCALE]
            total = sum(int(r.label) * r.count for r in result.rows)
            result.mean = round(total / whole, 2) if whole else None
        else:
            for number, label in enumerate(options_of(question), start=1):
                count, rank_sum = counts.get((question.id, number), (0, 0))
                row = Row(label, count, 0.0)
                if question.kind == "ranking":
                    row.mean_rank = round(rank_sum / count, 2) if count else None
                    row.count = firsts.get((question.id, number), 0)  # how many put it first
                result.rows.append(row)
        for row in result.rows:
            row.percent = _percent(row.count, whole)
        found.append(result)
    return Results(survey, response_count(session, survey.id), found)


@dataclass(frozen=True)
class TextAnswer:
    response_id: str
    question_id: int
    text: str
    moderation: str


def texts_of(session: Session, survey: Survey, *, shown_only: bool) -> dict[int, list[TextAnswer]]:
    """Each text question's answers (the public sees only those the owner marked publishable), the first TEXT_PAGE
    of each, read through the texts index question by question."""
    found: dict[int, list[TextAnswer]] = {}
    for question in questions_of(session, survey.id):
        if question.kind not in ("short_text", "long_text"):
            continue
        query = select(
            SurveyAnswer.response_id, SurveyAnswer.question_id, SurveyAnswer.text, SurveyAnswer.moderation
        ).where(SurveyAnswer.survey_id == survey.id, SurveyAnswer.option == 0, SurveyAnswer.question_id == question.id)
        if shown_only:
            query = query.where(SurveyAnswer.moderation == "shown")
        rows = session.exec(query.order_by(col(SurveyAnswer.response_id)).limit(TEXT_PAGE)).all()
        found[question.id] = [TextAnswer(*row) for row in rows]
    return found


# --- the chart --------------------------------------------------------------------------------

WIDTH, LABEL_H, BAR_H, GAP = 640, 20, 18, 14
BAR_MAX = 520


def bar_chart(result: QuestionResult, title: str, chart_id: str, value_label) -> Markup:
    """Horizontal bars, one per option, with the option above its bar and the value after it. The SVG is an image
    with a title and a label; the table beside it carries the same figures for every reader."""
    rows = result.rows
    top = max((r.mean_rank or 0) if result.question.kind == "ranking" else r.percent for r in rows) if rows else 0
    height = len(rows) * (LABEL_H + BAR_H + GAP) + GAP
    parts = [
        f'<svg class="survey-chart" id="{chart_id}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title" preserveAspectRatio="xMinYMin meet" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    y = GAP
    for row in rows:
        value = (row.mean_rank or 0) if result.question.kind == "ranking" else row.percent
        width = round(BAR_MAX * value / top, 1) if top else 0
        label = row.label if len(row.label) <= 80 else row.label[:79] + "…"
        parts.append(f'<text class="chart-label" x="0" y="{y + 14}">{escape(label)}</text>')
        parts.append(
            f'<rect class="chart-track" x="0" y="{y + LABEL_H}" width="{BAR_MAX}" height="{BAR_H}" rx="2"></rect>'
        )
        parts.append(f'<rect class="chart-bar" x="0" y="{y + LABEL_H}" width="{width}" height="{BAR_H}" rx="2"></rect>')
        parts.append(
            f'<text class="chart-value" x="{BAR_MAX + 8}" y="{y + LABEL_H + 14}">{escape(value_label(row))}</text>'
        )
        y += LABEL_H + BAR_H + GAP
    parts.append("</svg>")
    return Markup("".join(parts))
