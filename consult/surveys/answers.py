"""Reading an answer form: each question's value checked against its kind (a choice within its list, a scale from 1
to 5, a ranking giving each option its own place), or an error naming the question, with every typed value kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consult.i18n import _, gettext
from consult.models import SurveyQuestion
from consult.surveys.queries import options_of

SHORT_TEXT, LONG_TEXT = 300, 5000
REQUIRED = _("Answer this question: it is required.")
NOT_AN_OPTION = _("Choose one of the options given.")


@dataclass
class Parsed:
    items: list[dict[str, Any]] = field(default_factory=list)  # SurveyAnswer fields without the response
    errors: dict[str, str] = field(default_factory=dict)  # "q-<id>": translated message


def field_name(question: SurveyQuestion) -> str:
    return f"q-{question.id}"


def _listed(values: dict[str, Any], name: str) -> list[str]:
    value = values.get(f"{name}[]", values.get(name, []))
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]


def _number(text: str, top: int) -> int | None:
    """A whole number from 1 to top, or None."""
    text = text.strip()
    if not text.isdigit() or len(text) > 3:
        return None
    number = int(text)
    return number if 1 <= number <= top else None


def _one(question: SurveyQuestion, values: dict[str, Any], top: int) -> tuple[list[dict], str | None]:
    raw = values.get(field_name(question), "")
    raw = raw if isinstance(raw, str) else ""
    if not raw.strip():
        return [], REQUIRED if question.required else None
    number = _number(raw, top)
    if number is None:
        return [], NOT_AN_OPTION
    return [{"question_id": question.id, "option": number}], None


def _many(question: SurveyQuestion, values: dict[str, Any], top: int) -> tuple[list[dict], str | None]:
    chosen = [v for v in _listed(values, field_name(question)) if v.strip()]
    if not chosen:
        return [], REQUIRED if question.required else None
    numbers = {_number(v, top) for v in chosen}
    if None in numbers:
        return [], NOT_AN_OPTION
    marker = {"question_id": question.id, "option": 0}  # "answered", whatever the number of options chosen
    return [marker] + [{"question_id": question.id, "option": n} for n in sorted(numbers)], None  # type: ignore[type-var]


def _text(question: SurveyQuestion, values: dict[str, Any], limit: int) -> tuple[list[dict], str | None]:
    raw = values.get(field_name(question), "")
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return [], REQUIRED if question.required else None
    if len(text) > limit:
        return [], _("This text is too long.")
    return [{"question_id": question.id, "option": 0, "text": text}], None


def _ranking(question: SurveyQuestion, values: dict[str, Any], top: int) -> tuple[list[dict], str | None]:
    raws = [values.get(f"{field_name(question)}-{n}", "") for n in range(1, top + 1)]
    raws = [r if isinstance(r, str) else "" for r in raws]
    if not any(r.strip() for r in raws):
        return [], REQUIRED if question.required else None
    places = [_number(r, top) for r in raws]
    if None in places or len(set(places)) != top:
        return [], _("Give each option a different place, from 1 to %(num)d.")
    return [{"question_id": question.id, "option": n, "rank": p} for n, p in enumerate(places, start=1)], None


def parse_answers(questions: list[SurveyQuestion], values: dict[str, Any]) -> Parsed:
    parsed = Parsed()
    for question in questions:
        top = len(options_of(question))
        if question.kind == "single":
            items, error = _one(question, values, top)
        elif question.kind == "scale":
            items, error = _one(question, values, 5)
        elif question.kind == "multiple":
            items, error = _many(question, values, top)
        elif question.kind == "ranking":
            items, error = _ranking(question, values, top)
        elif question.kind in ("short_text", "long_text"):
            items, error = _text(question, values, SHORT_TEXT if question.kind == "short_text" else LONG_TEXT)
        else:
            continue
        if error:
            parsed.errors[field_name(question)] = gettext(error, num=top)
        parsed.items.extend(items)
    return parsed
